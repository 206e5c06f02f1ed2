/** @module `pgd`: robust accuracy under the tier's PGD (protocol/attack-specs.ts resolvePgd) at the task's threat. */
import { z } from 'zod';
import { NORMS } from '../threat.ts';
import { defineMetricPlugin } from './define.ts';

/** The harness's check of the examples an attack returned (evaluate/perturbation-check.ts). */
export const CheckedDetailsSchema = z.looseObject({
  correct: z.number().int().min(0),
  maxPerturbation: z.number(),
  flags: z.array(z.string()),
});

export const PgdDetailsSchema = CheckedDetailsSchema.extend({
  attack: z.literal('pgd'),
  norm: z.enum(NORMS),
  eps: z.number().positive(),
  steps: z.number().int().positive(),
  stepSize: z.number().positive(),
  restarts: z.number().int().positive(),
  nanCount: z.number().int().min(0),
  outOfBoxCount: z.number().int().min(0),
});

export default defineMetricPlugin({
  id: 'pgd',
  alsoComputes: ['clean'],
  metrics: [{ name: 'pgd', label: 'PGD', details: PgdDetailsSchema, column: { label: 'PGD', order: 20 } }],
  runner: () => import('../../orchestration/evaluate/metrics/pgd.ts').then((m) => m.runner),
});
