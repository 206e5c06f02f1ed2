/** @module `corruption`: mean accuracy over a -C set's (corruption, severity) splits, and `corruption/<name>` per corruption. */
import { z } from 'zod';
import { defineMetricPlugin } from './define.ts';

export const CorruptionDetailsSchema = z.looseObject({
  correct: z.number().int().min(0),
  dataset: z.string(),
  corruptions: z.array(z.string()),
  severities: z.array(z.number().int()),
  nPerSplit: z.number().int().positive(),
});

export const CorruptionSplitDetailsSchema = z.looseObject({
  correct: z.number().int().min(0),
  dataset: z.string(),
  perSeverity: z.array(z.looseObject({ severity: z.number().int(), accuracy: z.number(), n: z.number().int() })),
});

export default defineMetricPlugin({
  id: 'corruption',
  metrics: [
    {
      name: 'corruption',
      label: 'Corruptions (mean)',
      details: CorruptionDetailsSchema,
      column: { label: 'Corruption', title: 'mean accuracy over corruptions and severities', order: 40 },
    },
    { name: 'corruption/', label: 'Corruption', details: CorruptionSplitDetailsSchema },
  ],
  runner: () => import('../../orchestration/evaluate/metrics/corruption.ts').then((m) => m.runner),
});
