/** @module `autoattack`: the worst case over AutoAttack's components, and `autoattack/<component>` after each. */
import { z } from 'zod';
import { AUTOATTACK_VERSIONS, COMPONENTS, type Component } from '../components.ts';
import { defineMetricPlugin } from './define.ts';
import { CheckedDetailsSchema } from './pgd.ts';

export const AutoAttackDetailsSchema = CheckedDetailsSchema.extend({
  attack: z.string(),
  version: z.enum(AUTOATTACK_VERSIONS),
  attacks: z.array(z.enum(COMPONENTS)),
  norm: z.string(),
  eps: z.number().positive(),
  cleanAccuracy: z.number().min(0).max(1),
  robustAccuracyAfter: z.array(z.looseObject({ attack: z.enum(COMPONENTS), robustAccuracy: z.number() })),
  sanityFlags: z.array(z.unknown()),
  nanCount: z.number().int().min(0),
  outOfBoxCount: z.number().int().min(0),
  pgdAccuracyOnSamePoints: z.number().optional(),
  pointsRobustToAutoAttackButNotPgd: z.number().int().optional(),
  resumed: z.unknown(),
});

export const AutoAttackComponentDetailsSchema = z.looseObject({
  correct: z.number().int().min(0),
  attack: z.enum(COMPONENTS),
  version: z.enum(AUTOATTACK_VERSIONS),
});

/** How pages name each component: the papers' spelling. */
const COMPONENT_LABELS: Record<Component, string> = {
  'apgd-ce': 'APGD-CE',
  'apgd-dlr': 'APGD-DLR',
  'apgd-t': 'APGD-T',
  fab: 'FAB',
  'fab-t': 'FAB-T',
  square: 'Square',
};

export default defineMetricPlugin({
  id: 'autoattack',
  alsoComputes: ['clean'],
  metrics: [
    {
      name: 'autoattack',
      label: 'AutoAttack (worst case)',
      details: AutoAttackDetailsSchema,
      column: { label: 'AutoAttack', order: 30 },
    },
    {
      name: 'autoattack/',
      label: 'AutoAttack',
      memberLabel: (c) => `after ${COMPONENT_LABELS[c as Component] ?? c}`,
      details: AutoAttackComponentDetailsSchema,
    },
  ],
  runner: () => import('../../orchestration/evaluate/metrics/autoattack.ts').then((m) => m.runner),
});
