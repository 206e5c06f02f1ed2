/**
 * @module Protocol schemas (zod): threat models, source recipes, tasks, tiers and suites. Suites are
 * data; everything that defines a cell is in these objects and goes into the cell's id hash.
 */
import { z } from 'zod';
import { CATALOG, findCatalogEntry } from './catalog.ts';
import { AUTOATTACK_VERSIONS, COMPONENTS } from './components.ts';
import { ThreatSchema } from './threat.ts';

export { ThreatSchema, type Threat } from './threat.ts';

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
    if (r.beta !== undefined && r.recipe !== 'trades')
      ctx.addIssue({
        code: 'custom',
        path: ['beta'],
        message: `only recipe 'trades' takes beta (recipe is '${r.recipe}')`,
      });
    if (r.fdm !== undefined && r.recipe !== 'at-fdm')
      ctx.addIssue({
        code: 'custom',
        path: ['fdm'],
        message: `only recipe 'at-fdm' takes fdm (recipe is '${r.recipe}')`,
      });
    if (r.fdm === undefined && r.recipe === 'at-fdm')
      ctx.addIssue({ code: 'custom', path: ['fdm'], message: "recipe 'at-fdm' needs fdm: { k, lambda }" });
  })
  .transform((r) => (r.recipe === 'trades' && r.beta === undefined ? { ...r, beta: 6 } : r));

/** Where a published checkpoint comes from: exactly one of a URL (downloaded into the data folder) or a local path. */
export const ExternalCheckpointSchema = z
  .strictObject({
    url: z.url({ protocol: /^https?$/ }).optional(),
    /** A local file (relative paths: from the working directory). */
    path: z.string().min(1).optional(),
    /** Name of the copy under `<data>/sources/external/` (default: the URL's last path segment). */
    fileName: z
      .string()
      .regex(/^[^/\\]+$/, 'a file name, without folders')
      .optional(),
    /** Published checksum; without it the first download's is pinned (`<data>/sources/external/pins.json`). */
    sha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits')
      .optional(),
    format: z.enum(['torch', 'safetensors']),
  })
  .superRefine((c, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if ((c.url === undefined) === (c.path === undefined)) issue([], 'give exactly one of url and path');
    if (c.fileName !== undefined && c.url === undefined)
      issue(['fileName'], 'fileName names the downloaded copy of a url');
    if (c.url !== undefined && c.fileName === undefined && !/[^/]$/.test(new URL(c.url).pathname)) {
      issue(['fileName'], `the url ${c.url} ends without a file name; give fileName`);
    }
  });

/** A published robust checkpoint used as the source as it is (nothing is pre-trained). */
export const ExternalSourceSchema = z
  .strictObject({
    /** The catalog entry this was expanded from (harness/protocol/catalog.ts). */
    catalog: z.string().min(1).optional(),
    checkpoint: ExternalCheckpointSchema,
    /** Zoo architecture the weights load into (`resnet50`, `wrn-34-10`, …). */
    arch: z.string().min(1),
    /** [height, width, channels] the model was trained on. */
    inputShape: z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]),
    /** The normalisation the model was trained with, in [0,1] pixel units. */
    mean: z.array(z.number()).min(1),
    std: z.array(z.number().positive()).min(1),
    numClasses: z.number().int().positive(),
    /** Stem width of width-scalable archs (see ModelSpec.width). */
    width: z.number().int().positive().optional(),
    /** Checkpoint key renames for the loader (see harness/foundation/checkpoint/external-model.ts). */
    keyMap: z.record(z.string(), z.string()).optional(),
    /** Key prefixes the loader leaves out (modules registered but never run, e.g. RobustBench's `sub_block1.`). */
    dropKeys: z.array(z.string().min(1)).min(1).optional(),
    /** What the model was adversarially trained against (shown on the site; the measurement attacks with it). */
    threat: ThreatSchema.optional(),
    /** Measure clean and PGD-20 accuracy on this dataset's first 500 test points (needs `threat`). */
    measure: z.string().min(1).optional(),
    /** The paper (authors, title, venue) the checkpoint comes from. */
    citation: z.string().min(1),
  })
  .superRefine((s, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const c = s.inputShape[2];
    if (s.mean.length !== c) issue(['mean'], `needs ${c} values (inputShape has ${c} channels), got ${s.mean.length}`);
    if (s.std.length !== c) issue(['std'], `needs ${c} values (inputShape has ${c} channels), got ${s.std.length}`);
    if (s.measure !== undefined && s.threat === undefined) issue(['threat'], 'measure needs the threat to attack with');
  });

export type SourceRecipe = z.infer<typeof SourceRecipeSchema>;
export type ExternalSource = z.infer<typeof ExternalSourceSchema>;
export type ExternalSourceInput = z.input<typeof ExternalSourceSchema>;
export type TaskSource = SourceRecipe | ExternalSource;
/** How a suite may write a source: a recipe, a published checkpoint, or a catalog id (`'id'` or `{ catalog: 'id' }`). */
export type TaskSourceInput = z.input<typeof SourceRecipeSchema> | ExternalSourceInput | string | { catalog: string };

export function isExternalSource(s: TaskSource): s is ExternalSource {
  return 'checkpoint' in s;
}

function catalogRef(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (
    v &&
    typeof v === 'object' &&
    Object.keys(v).length === 1 &&
    typeof (v as { catalog?: unknown }).catalog === 'string'
  )
    return (v as { catalog: string }).catalog;
  return undefined;
}

/**
 * A task's source. A catalog id expands to the entry's full checkpoint source (with `catalog: id`), so the
 * cell spec, and its id, hold what actually ran. Each form is parsed by its own schema so errors name its fields.
 */
export const TaskSourceSchema = z.custom<TaskSourceInput>().transform((v, ctx): TaskSource => {
  const ref = catalogRef(v);
  let input: unknown = v;
  if (ref !== undefined) {
    const entry = findCatalogEntry(ref);
    if (!entry) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown catalog source '${ref}' (known: ${CATALOG.map((e) => e.id).join(', ')})`,
      });
      return z.NEVER;
    }
    input = { ...entry.source, catalog: ref };
  }
  const schema: z.ZodType<TaskSource> =
    input && typeof input === 'object' && 'checkpoint' in input ? ExternalSourceSchema : SourceRecipeSchema;
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  for (const issue of r.error.issues)
    ctx.addIssue({ ...issue, path: issue.path } as Parameters<typeof ctx.addIssue>[0]);
  return z.NEVER;
});

/**
 * The protocol's data augmentation of training batches, applied by the harness to every method of the task
 * alike (datasets/batch-pipeline.ts): each example's crop and flip are drawn from (cell seed, epoch, example),
 * then the crop is resized to the model's input. Evaluation batches are only resized. Absent: none.
 */
export const AugmentSchema = z
  .strictObject({
    /** A size x size crop at a random place of the image padded by `padding` on each side (torchvision RandomCrop). */
    crop: z
      .strictObject({
        size: z.number().int().positive(),
        padding: z.number().int().min(0),
        /** `zero` pads with black, `reflect` mirrors the image without repeating its edge (PyTorch's reflect). */
        mode: z.enum(['zero', 'reflect']).default('zero'),
      })
      .optional(),
    /** A random part of `scale` of the area with aspect ratio in `ratio`, resized to size x size (RandomResizedCrop). */
    randomResizedCrop: z
      .strictObject({
        size: z.number().int().positive(),
        scale: z.tuple([z.number().positive().max(1), z.number().positive().max(1)]).default([0.08, 1]),
        ratio: z.tuple([z.number().positive(), z.number().positive()]).default([3 / 4, 4 / 3]),
      })
      .optional(),
    /** A horizontal flip with probability 1/2. */
    flip: z.boolean().optional(),
  })
  .superRefine((a, ctx) => {
    const issue = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (a.crop && a.randomResizedCrop) issue(['randomResizedCrop'], 'give crop or randomResizedCrop, not both');
    if (!a.crop && !a.randomResizedCrop && !a.flip)
      issue([], 'an augmentation needs crop, randomResizedCrop or flip: true (or leave augment out)');
    const r = a.randomResizedCrop;
    if (r && r.scale[0] > r.scale[1])
      issue(['randomResizedCrop', 'scale'], `must be [min, max], got [${r.scale.join(', ')}]`);
    if (r && r.ratio[0] > r.ratio[1])
      issue(['randomResizedCrop', 'ratio'], `must be [min, max], got [${r.ratio.join(', ')}]`);
  });

export const TaskSchema = z
  .strictObject({
    /** `<source>-to-<target>/<threat>`, e.g. `fmnist0-4-to-fmnist5-9/linf-8`. */
    id: z.string().regex(/^[a-z0-9][a-z0-9.-]*\/[a-z0-9][a-z0-9.-]*$/, 'task id must look like `name/threat`'),
    /** A recipe the harness pre-trains, a published checkpoint, or a catalog id (see TaskSourceSchema). */
    source: TaskSourceSchema,
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
    /**
     * Resize the target's images to N x N (bilinear, antialiased) on their way into the model, batch by batch
     * (after the augmentation's crop), in fine-tuning and evaluation, e.g. 224 for an ImageNet source on 32 px
     * targets. Must give the source's input size. Absent: no resizing.
     */
    resize: z.number().int().positive().optional(),
    /** `repeat`: a 1-channel target fed to a 3-channel source repeats its channel (stated here, so ids say so). */
    channels: z.literal('repeat').optional(),
    /** The protocol's training-batch augmentation (AugmentSchema); absent: none, and the cell ids stay as they were. */
    augment: AugmentSchema.optional(),
  })
  .superRefine((task, ctx) => {
    // Recipe sources' input size is known only once their dataset is; run-cell checks those.
    if (task.resize === undefined || !isExternalSource(task.source)) return;
    const [h, w] = task.source.inputShape;
    if (h !== task.resize || w !== task.resize) {
      ctx.addIssue({
        code: 'custom',
        path: ['resize'],
        message: `resize ${task.resize} does not give the source's input size ${h}x${w}`,
      });
    }
  });

const iterOverride = z.strictObject({
  nIter: z.number().int().positive().optional(),
  restarts: z.number().int().positive().optional(),
});

export const AutoAttackEvaluationSchema = z
  .strictObject({
    version: z.enum(AUTOATTACK_VERSIONS).default('standard'),
    /** The attacks of version 'custom', in order. */
    attacks: z.array(z.enum(COMPONENTS)).min(1).optional(),
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
  .refine((a) => (a.version === 'custom') === (a.attacks !== undefined), {
    message: "attacks must be given exactly when version is 'custom'",
    path: ['attacks'],
  });

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
        if (!ids.has(id))
          ctx.addIssue({
            code: 'custom',
            path: ['tasks', t, 'methods', j],
            message: `method '${id}' is not in the suite's methods (${[...ids].join(', ')})`,
          });
      }),
    );
  });

export type Task = z.infer<typeof TaskSchema>;
export type Augment = z.infer<typeof AugmentSchema>;
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
