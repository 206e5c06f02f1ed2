/**
 * @module One attack by its registry id, scored like PGD under the attack's own name (`rftbench eval --attack`);
 * not part of a tier's evaluation, so it has no board column.
 */
import { z } from 'zod';
import { defineMetricPlugin } from './define.ts';
import { CheckedDetailsSchema } from './pgd.ts';

export const AttackDetailsSchema = CheckedDetailsSchema.extend({
  attack: z.string(),
  options: z.record(z.string(), z.unknown()),
});

export default defineMetricPlugin({
  id: 'attack',
  alsoComputes: ['clean'],
  metrics: [{ name: '*', label: 'Attack', details: AttackDetailsSchema }],
  runner: () => import('../../orchestration/evaluate/metrics/attack.ts').then((m) => m.runner),
});
