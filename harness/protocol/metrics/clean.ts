/** @module `clean`: accuracy without attack on the evaluation's points (scored by PGD's batches when PGD runs). */
import { z } from 'zod';
import { defineMetricPlugin } from './define.ts';

export const CleanDetailsSchema = z.looseObject({ correct: z.number().int().min(0) });

export default defineMetricPlugin({
  id: 'clean',
  metrics: [
    { name: 'clean', label: 'Clean (no attack)', details: CleanDetailsSchema, column: { label: 'Clean', order: 10 } },
  ],
  runner: () => import('../../orchestration/evaluate/metrics/clean.ts').then((m) => m.runner),
});
