/**
 * @module Protocol schemas (zod): threat models, source recipes, tasks, tiers and suites. Suites are
 * data; everything that defines a cell is in these objects and goes into the cell's id hash.
 */
import { z } from 'zod';

export const ThreatSchema = z.strictObject({
  norm: z.enum(['Linf', 'L2']),
  eps: z.number().positive(),
});

const FdmSchema = z.strictObject({
  /** Blocks the target will fine-tune (head included): r is the input of block L-k+1. */
  k: z.number().int().positive(),
  /** Weight of the feature distance (CARTL: 0.005, also 0.01). */
  lambda: z.number().positive().default(0.005),
});

/** How a source model is adversarially pre-trained; its hash names the cached checkpoint. */
export const SourceRecipeSchema = z
  .strictObject({
    /** Dataset id the source trains on, e.g. `fashion-mnist[0-4]`. */
    dataset: z.string().min(1),
    arch: z.string().min(1),
    /**
     * `at`: PGD-AT (Madry); `fgsm-rs`: FGSM with random start (Wong et al., fast AT); `trades`: TRADES
     * (Zhang et al.) with `beta`; `at-fdm`: PGD-AT plus CARTL's feature-distance term (`fdm`).
     */
    recipe: z.enum(['at', 'fgsm-rs', 'trades', 'at-fdm']),
    threat: ThreatSchema,
    /** PGD steps for `at`, `trades` and `at-fdm` (ignored by fgsm-rs) and step size (fgsm-rs uses 1.25 eps by default). */
    steps: z.number().int().positive().default(7),
    stepSize: z.number().positive(),
    epochs: z.number().int().positive(),
    batchSize: z.number().int().positive().default(128),
    lr: z.number().positive(),
    momentum: z.number().min(0).max(1).default(0.9),
    weightDecay: z.number().min(0).default(5e-4),
    /** Cap on training examples per epoch (CPU tiers). */
    maxTrainExamples: z.number().int().positive().optional(),
    seed: z.number().int().min(0).default(0),
    /** TRADES' KL weight (recipe `trades` only; default 6). */
    beta: z.number().min(0).optional(),
    /** CARTL's FDM term (recipe `at-fdm` only, required there). */
    fdm: FdmSchema.optional(),
  })
  // Recipe-specific keys exist only on their recipe, so older recipes keep their hashes and cached files.
  .superRefine((r, ctx) => {
    if (r.beta !== undefined && r.recipe !== 'trades') ctx.addIssue({ code: 'custom', path: ['beta'], message: `only recipe 'trades' takes beta (recipe is '${r.recipe}')` });
    if (r.fdm !== undefined && r.recipe !== 'at-fdm') ctx.addIssue({ code: 'custom', path: ['fdm'], message: `only recipe 'at-fdm' takes fdm (recipe is '${r.recipe}')` });
    if (r.fdm === undefined && r.recipe === 'at-fdm') ctx.addIssue({ code: 'custom', path: ['fdm'], message: "recipe 'at-fdm' needs fdm: { k, lambda }" });
  })
  .transform((r) => (r.recipe === 'trades' && r.beta === undefined ? { ...r, beta: 6 } : r));

export const TaskSchema = z.strictObject({
  /** `<source>-to-<target>/<threat>`, e.g. `fmnist0-4-to-fmnist5-9/linf-8`. */
  id: z.string().regex(/^[a-z0-9][a-z0-9.\-]*\/[a-z0-9][a-z0-9.\-]*$/, 'task id must look like `name/threat`'),
  source: SourceRecipeSchema,
  /** Dataset id fine-tuned on and evaluated on. */
  target: z.string().min(1),
  threat: ThreatSchema,
  /** A -C test set of the target (e.g. `cifar10-c`) for the tier's corruption evaluation. */
  corruptions: z.string().min(1).optional(),
  /**
   * Only these method ids run on this task (default: every method of the suite), e.g. a task whose
   * source is pre-trained for one entry (CARTL's FDM). Not part of the cells' ids.
   */
  methods: z.array(z.string().min(1)).min(1).optional(),
});

const AA_COMPONENTS = ['apgd-ce', 'apgd-dlr', 'apgd-t', 'fab', 'fab-t', 'square'] as const;
const iterOverride = z.strictObject({ nIter: z.number().int().positive().optional(), restarts: z.number().int().positive().optional() });

export const AutoAttackEvaluationSchema = z
  .strictObject({
    version: z.enum(['standard', 'plus', 'rand', 'custom']).default('standard'),
    /** The attacks of version 'custom', in order. */
    attacks: z.array(z.enum(AA_COMPONENTS)).min(1).optional(),
    n: z.number().int().positive(),
    batchSize: z.number().int().positive().default(250),
    /** Lighter components for CPU tiers; recorded with the number. */
    overrides: z
      .strictObject({
        apgd: iterOverride.optional(),
        apgdT: iterOverride.extend({ nTargetClasses: z.number().int().positive().optional() }).optional(),
        fab: iterOverride.extend({ nTargetClasses: z.number().int().positive().optional() }).optional(),
        square: z.strictObject({ nQueries: z.number().int().positive().optional() }).optional(),
      })
      .optional(),
  })
  .refine((a) => (a.version === 'custom') === (a.attacks !== undefined), { message: "attacks must be given exactly when version is 'custom'", path: ['attacks'] });

export const TierSchema = z.strictObject({
  id: z.enum(['smoke', 'quick', 'standard']),
  budget: z.strictObject({
    epochs: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    maxTrainExamples: z.number().int().positive().optional(),
  }),
  /** The protocol's training attack (PGD in eval mode), for adversarial methods. */
  trainAttack: z.strictObject({
    steps: z.number().int().positive(),
    /** Step size as a multiple of eps (2/255 at eps 8/255 = 0.25). */
    stepSizeOverEps: z.number().positive(),
  }),
  evaluation: z.strictObject({
    /** Evaluate on the first n test points (RobustBench: first 10,000; CPU tiers fewer). */
    n: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    pgd: z.strictObject({
      steps: z.number().int().positive(),
      stepSizeOverEps: z.number().positive(),
      restarts: z.number().int().positive(),
    }),
    /** AutoAttack on the first n points (often fewer than PGD's n on CPU tiers); absent = not run. */
    autoattack: AutoAttackEvaluationSchema.optional(),
    /** Corruption accuracy on tasks that name a -C set: the first n points of each (corruption, severity). */
    corruptions: z
      .strictObject({
        n: z.number().int().positive(),
        batchSize: z.number().int().positive().default(500),
        /** Only these corruptions (default: the benchmark's 15). */
        only: z.array(z.string().min(1)).min(1).optional(),
      })
      .optional(),
  }),
});

export const MethodRunSchema = z.strictObject({
  id: z.string().min(1),
  config: z.record(z.string(), z.unknown()).default({}),
});

export const SuiteSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    description: z.string().default(''),
    tier: TierSchema,
    tasks: z.array(TaskSchema).min(1),
    methods: z.array(MethodRunSchema).min(1),
    seeds: z.array(z.number().int().min(0)).min(1),
  })
  .superRefine((suite, ctx) => {
    const ids = new Set(suite.methods.map((m) => m.id));
    suite.tasks.forEach((task, t) =>
      task.methods?.forEach((id, j) => {
        if (!ids.has(id)) ctx.addIssue({ code: 'custom', path: ['tasks', t, 'methods', j], message: `method '${id}' is not in the suite's methods (${[...ids].join(', ')})` });
      }),
    );
  });

export type Threat = z.infer<typeof ThreatSchema>;
export type SourceRecipe = z.infer<typeof SourceRecipeSchema>;
export type Task = z.infer<typeof TaskSchema>;
export type Tier = z.infer<typeof TierSchema>;
export type AutoAttackEvaluation = z.infer<typeof AutoAttackEvaluationSchema>;
export type MethodRun = z.infer<typeof MethodRunSchema>;
export type Suite = z.infer<typeof SuiteSchema>;
export type SuiteInput = z.input<typeof SuiteSchema>;

/** Parses a suite, turning zod issues into one message that names each bad field by its path. */
export function parseSuite(input: unknown, origin = 'suite'): Suite {
  const r = SuiteSchema.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new Error(`${origin}: invalid suite\n${lines.join('\n')}`);
}
