/**
 * @module The seed papers' protocols as suites (`twins`, `rift`, `cartl`), built from the cited settings of
 * `papers/settings.ts`: every number below is read from that data (so it carries its citation there), and
 * `PROTOCOL_SUITE_SETTINGS` lists, per suite, what we run beside what the paper states, for `run --dry-run`.
 * Every method of a suite runs on the same tasks, data pipeline, budget and evaluation.
 *
 * Each task carries its paper's data augmentation (`augment`, from `augmentation` in the cited settings), which
 * the harness applies to every method's training batches alike (datasets/batch-pipeline.ts).
 */
import { findCatalogEntry } from './catalog.ts';
import {
  formatCitation,
  PROTOCOL_SETTINGS,
  type ProtocolId,
  type ProtocolSettings,
  type Setting,
} from './papers/index.ts';
import type { ExternalSourceInput, SuiteInput } from './schema.ts';

type AugmentInput = NonNullable<SuiteInput['tasks'][number]['augment']>;

/** The papers' augmentations, as each suite's `augmentation` setting cites them (the mini suites reuse them). */
export const PAPER_AUGMENT = {
  // TW.augmentation (CIFAR) and CT.augmentation: random crop 32, zero padding 4, flip (CARTL's 15-degree
  // rotation is left out: the pipeline has no rotation).
  crop32: { crop: { size: 32, padding: 4, mode: 'zero' }, flip: true },
  // RF.augmentation: the same crop with reflect padding (Tiny-ImageNet: crop 64, padding 8).
  reflectCrop32: { crop: { size: 32, padding: 4, mode: 'reflect' }, flip: true },
  reflectCrop64: { crop: { size: 64, padding: 8, mode: 'reflect' }, flip: true },
  // TW.augmentation (high resolution): random-resized-crop to the model's size (torchvision's scale and ratio) + flip.
  resizedCrop: (size: number): AugmentInput => ({
    randomResizedCrop: { size, scale: [0.08, 1], ratio: [3 / 4, 4 / 3] },
    flip: true,
  }),
} as const satisfies Record<string, AugmentInput | ((size: number) => AugmentInput)>;

/** One line per task: what its training batches get, for the dry-run's settings table. */
function describeAugment(a: AugmentInput | undefined): string {
  if (!a) return 'none';
  const crop = a.crop
    ? `random crop ${a.crop.size}, ${a.crop.mode ?? 'zero'} padding ${a.crop.padding}`
    : a.randomResizedCrop
      ? `random-resized-crop ${a.randomResizedCrop.size} (scale ${(a.randomResizedCrop.scale ?? [0.08, 1]).join('-')})`
      : '';
  return [crop, a.flip ? 'flip' : ''].filter(Boolean).join(' + ');
}

const EPS_8 = 8 / 255;
const LINF_8 = { norm: 'Linf', eps: EPS_8 } as const;
type TierInput = SuiteInput['tier'];

/** A protocol's cited settings (throws at import if settings.ts lost one, naming it). */
export function protocolSettings(protocol: ProtocolId): ProtocolSettings {
  const p = PROTOCOL_SETTINGS.find((s) => s.protocol === protocol);
  if (!p) throw new Error(`paper-suites.ts: no settings for protocol '${protocol}' in papers/settings.ts`);
  return p;
}

/** A numeric setting's value; a non-number (the data changed shape) fails naming the field. */
function num(p: ProtocolSettings, field: 'lr' | 'weightDecay' | 'epochs' | 'batchSize' | 'momentum'): number {
  const v = p[field].value;
  if (typeof v !== 'number')
    throw new Error(`paper-suites.ts: settings '${p.protocol}'.${field} is ${JSON.stringify(v)}, not a number`);
  return v;
}
function methodNum(p: ProtocolSettings, key: string): number {
  const v = p.method[key]?.value;
  if (typeof v !== 'number')
    throw new Error(`paper-suites.ts: settings '${p.protocol}'.method.${key} is ${JSON.stringify(v)}, not a number`);
  return v;
}

/** One line of the dry-run's settings table: what this suite runs, and the paper's setting with its citation. */
export interface SuiteSetting {
  readonly field: string;
  /** What the suite runs (same as the paper unless `note` says otherwise). */
  readonly ours: string;
  readonly paper: Setting;
}

const row = (field: string, ours: string, paper: Setting): SuiteSetting => ({ field, ours, paper });

/** A catalog source written out in full at another input size (the papers feed CIFAR's 32 px to ImageNet models). */
function catalogSourceAt(id: string, px: number): ExternalSourceInput {
  const entry = findCatalogEntry(id);
  if (!entry) throw new Error(`paper-suites.ts: catalog source '${id}' is not in harness/protocol/catalog.ts`);
  return { ...entry.source, catalog: id, inputShape: [px, px, entry.source.inputShape[2]] };
}

/** PGD-AT / AT+FDM recipes the harness pre-trains (papers' source recipes; see each suite's settings). */
function atRecipe(
  dataset: string,
  arch: string,
  o: { steps: number; epochs: number; lr: number; fdm?: { k: number; lambda: number } },
) {
  return {
    dataset,
    arch,
    recipe: o.fdm ? ('at-fdm' as const) : ('at' as const),
    threat: LINF_8,
    steps: o.steps,
    stepSize: 2 / 255,
    epochs: o.epochs,
    batchSize: 128,
    lr: o.lr,
    ...(o.fdm ? { fdm: o.fdm } : {}),
  };
}

// ---- TWINS / AutoLoRa: the Salman et al. ResNet-50 (ImageNet, Linf 4/255) to CIFAR-10/100 and Caltech-256 ----
const TW = protocolSettings('twins');
const TW_EVAL = {
  n: 10000,
  batchSize: 500,
  // TW.evaluation.pgd: PGD-10 at the training attack's eps and step (2/255 = eps/4); ours adds a random start.
  pgd: { steps: 10, stepSizeOverEps: 0.25, restarts: 1 },
  // TW.evaluation.autoattack: AutoAttack standard (as AutoLoRa runs it on this protocol).
  autoattack: { version: 'standard', n: 10000, batchSize: 500 },
} as const;
const twinsTier: TierInput = {
  id: 'standard',
  budget: { epochs: num(TW, 'epochs'), batchSize: num(TW, 'batchSize') },
  // TW.trainAttack: PGD-10, eps 8/255, step 2/255, random start.
  trainAttack: { steps: 10, stepSizeOverEps: 0.25 },
  evaluation: TW_EVAL,
};
const twinsSgd = { lr: num(TW, 'lr'), momentum: num(TW, 'momentum'), weightDecay: num(TW, 'weightDecay') };
const SALMAN = 'salman2020-resnet50-linf-eps4';
// TWINS' CIFAR tasks: Linf 8/255 at 32 px with TW.augmentation's CIFAR crop + flip.
const TW_CIFAR = { threat: LINF_8, augment: PAPER_AUGMENT.crop32 } as const;

const twins: SuiteInput = {
  id: 'twins',
  description:
    'TWINS (Liu et al., CVPR 2023) / AutoLoRa Table 2 protocol: the ImageNet ResNet-50 of Salman et al. (Linf 4/255, ' +
    'catalog salman2020-resnet50-linf-eps4) fine-tuned on CIFAR-10 and CIFAR-100 at 32 px and Caltech-256 resized to ' +
    "224 px (ours is loaded at 64 px, then upsampled); AT, TRADES, TWINS-AT and TWINS-TRADES with the paper's SGD " +
    '(lr 0.003, weight decay 1e-5, 60 epochs, batch 128), PGD-10 training attack; clean, PGD-10 and AutoAttack ' +
    "(standard) on the first 10,000 test points; every method's training batches get the paper's augmentation " +
    '(CIFAR: random crop 32 with zero padding 4 + flip; Caltech-256: random-resized-crop to 224 + flip). Differences: ' +
    "the paper's high-resolution settings (weight decay 1e-3, lambda 0.4) are not applied to Caltech-256 (one method " +
    'config per suite); AT/TRADES use a cosine schedule (the entries have no multistep); Caltech-256 crops from our ' +
    '64 px images (the paper: from a 256 px resize) and is evaluated resized to 224 without a centre crop.',
  tier: twinsTier,
  tasks: [
    { id: 'salman-r50-linf4-to-cifar10/linf-8', source: catalogSourceAt(SALMAN, 32), target: 'cifar10', ...TW_CIFAR },
    { id: 'salman-r50-linf4-to-cifar100/linf-8', source: catalogSourceAt(SALMAN, 32), target: 'cifar100', ...TW_CIFAR },
    {
      id: 'salman-r50-linf4-to-caltech256/linf-8',
      source: catalogSourceAt(SALMAN, 224),
      target: 'caltech256',
      threat: LINF_8,
      resize: 224,
      augment: PAPER_AUGMENT.resizedCrop(224),
    },
  ],
  methods: [
    { id: 'at', config: { ...twinsSgd, schedule: 'cosine' } },
    { id: 'trades', config: { ...twinsSgd, schedule: 'cosine', beta: methodNum(TW, 'tradesBeta') } },
    { id: 'twins-at', config: { ...twinsSgd, schedule: 'multistep', lambda: methodNum(TW, 'lambda') } },
    {
      id: 'twins-trades',
      config: {
        ...twinsSgd,
        schedule: 'multistep',
        lambda: methodNum(TW, 'lambda'),
        beta: methodNum(TW, 'tradesBeta'),
      },
    },
  ],
  seeds: [0, 1, 2],
};

// ---- RiFT: an AT model of the target task itself, critical fine-tuning, -C evaluation ----
const RF = protocolSettings('rift');
const riftTier: TierInput = {
  id: 'standard',
  // RF.epochs: 10 epochs of critical fine-tuning, batch 128; `at` gets the same budget.
  budget: { epochs: num(RF, 'epochs'), batchSize: num(RF, 'batchSize') },
  trainAttack: { steps: 10, stepSizeOverEps: 0.25 },
  evaluation: {
    n: 10000,
    batchSize: 500,
    // RF.evaluation.pgd: PGD-10, Linf 8/255, three runs, the worst reported (our restarts: worst over 3).
    pgd: { steps: 10, stepSizeOverEps: 0.25, restarts: 3 },
    autoattack: { version: 'standard', n: 10000, batchSize: 500 },
    // RF.evaluation.corruption: mean accuracy over the -C corruptions and severities.
    corruptions: { n: 10000, batchSize: 500 },
  },
};
// The source recipe of RiFT's AT models (Bag-of-Tricks code) is not in papers/settings.ts: ours is the standard
// tier's PGD-AT recipe (PGD-10 of 2/255, SGD 0.1, 100 epochs).
const riftSource = (dataset: string) => atRecipe(dataset, 'resnet18', { steps: 10, epochs: 100, lr: 0.1 });

const rift: SuiteInput = {
  id: 'rift',
  description:
    'RiFT (Zhu et al., ICCV 2023) protocol: a ResNet-18 adversarially trained on the target task itself (PGD-AT, ' +
    'pre-trained here: the Bag-of-Tricks checkpoints are not published in a form the catalog has) fine-tuned on ' +
    'CIFAR-10, CIFAR-100 and Tiny-ImageNet (64 px) with RiFT (critical module, lr 0.001, 10 epochs) and AT for the ' +
    "same budget; the paper's WRN-34-10 is stood in for by the nearest published one, RobustBench's TRADES WRN-34-10 " +
    '(CIFAR-10 only). Clean, PGD-10 (worst of 3 restarts), AutoAttack (standard) and -C mean accuracy; every ' +
    "method's training batches get the paper's random crop with reflect padding + flip (in RiFT's every stage, " +
    'not only its fine-tuning). Differences: the head is re-initialised (the harness does so for every method).',
  tier: riftTier,
  tasks: [
    {
      id: 'cifar10-at-rn18-to-cifar10/linf-8',
      source: riftSource('cifar10'),
      target: 'cifar10',
      threat: LINF_8,
      corruptions: 'cifar10-c',
      augment: PAPER_AUGMENT.reflectCrop32,
    },
    {
      id: 'cifar10-trades-wrn34-10-to-cifar10/linf-8',
      source: 'robustbench-cifar10-linf-zhang2019theoretically',
      target: 'cifar10',
      threat: LINF_8,
      corruptions: 'cifar10-c',
      augment: PAPER_AUGMENT.reflectCrop32,
    },
    {
      id: 'cifar100-at-rn18-to-cifar100/linf-8',
      source: riftSource('cifar100'),
      target: 'cifar100',
      threat: LINF_8,
      corruptions: 'cifar100-c',
      augment: PAPER_AUGMENT.reflectCrop32,
    },
    {
      id: 'tinyimagenet-at-rn18-to-tinyimagenet/linf-8',
      source: riftSource('tiny-imagenet'),
      target: 'tiny-imagenet',
      threat: LINF_8,
      corruptions: 'tiny-imagenet-c',
      augment: PAPER_AUGMENT.reflectCrop64,
    },
  ],
  methods: [
    // Stage 1 of our rift entry is this same adversarial fine-tuning (atLr), so `at` is its theta_AT.
    {
      id: 'at',
      config: { lr: 0.01, momentum: num(RF, 'momentum'), weightDecay: num(RF, 'weightDecay'), schedule: 'cosine' },
    },
    {
      id: 'rift',
      config: {
        atLr: 0.01,
        lr: num(RF, 'lr'),
        momentum: num(RF, 'momentum'),
        weightDecay: num(RF, 'weightDecay'),
        ftEpochs: num(RF, 'epochs'),
        mrcRadius: methodNum(RF, 'mrcRadius'),
        schedule: 'paper',
      },
    },
  ],
  seeds: [0, 1, 2],
};

// ---- CARTL: source/target pairs, FDM pre-training, NEFT ----
const CT = protocolSettings('cartl');
const cartlK = (CT.method.k.value as number[])[0]; // CT.method.k: 4, 6, 8; ours: 4 (the standard tier's)
const fdm = { k: cartlK, lambda: methodNum(CT, 'fdmLambda') };
// CT.source: PGD-7 of 2/255 at Linf 8/255; epochs and lr from the repository's shared config (CT.epochs, CT.lr).
const cartlSource = (dataset: string, arch: string, withFdm = true) =>
  atRecipe(dataset, arch, { steps: 7, epochs: num(CT, 'epochs'), lr: num(CT, 'lr'), ...(withFdm ? { fdm } : {}) });
const cartlTier: TierInput = {
  id: 'standard',
  budget: { epochs: num(CT, 'epochs'), batchSize: num(CT, 'batchSize') },
  // CT.trainAttack: none at the target (partial, lwf and cartl train on clean data); kept for adversarial entries.
  trainAttack: { steps: 10, stepSizeOverEps: 0.25 },
  evaluation: {
    n: 10000,
    batchSize: 500,
    // CT.evaluation.pgd: Foolbox LinfPGD-100, step 2/255.
    pgd: { steps: 100, stepSizeOverEps: 0.25, restarts: 1 },
    autoattack: { version: 'standard', n: 10000, batchSize: 500 },
  },
};
// Every CARTL pair: Linf 8/255 and CT.augmentation.
const CT_TASK = { threat: LINF_8, augment: PAPER_AUGMENT.crop32 } as const;
const ctSgd = { lr: num(CT, 'lr'), momentum: num(CT, 'momentum'), weightDecay: num(CT, 'weightDecay') };

const cartl: SuiteInput = {
  id: 'cartl',
  description:
    "CARTL (Chen et al., ICML 2021) protocol: the slides' source/target pairs (CIFAR-100 to SVHN and GTSRB with " +
    'WRN-34-10; CIFAR-10 and GTSRB to SVHN with WRN-28-4; CIFAR-100 to CIFAR-10 for the ablation), sources ' +
    'pre-trained here with PGD-7 AT plus FDM (k 4, lambda 0.005), and a plain-AT CIFAR-100 source for the ablation; ' +
    'Vanilla (`partial`, last 4 blocks), LwF and CARTL (NEFT, BN affine frozen) fine-tuned with SGD 0.1 for 100 epochs ' +
    'on every pair from the same source; clean, PGD-100 and AutoAttack (standard). Differences: `partial` and `lwf` ' +
    "use a cosine schedule (CARTL's warm-up + x0.2 steps is the cartl entry's own); every method's training batches get " +
    "the paper's random crop 32 with padding 4 + flip, without its 15-degree rotation (the pipeline has no rotation).",
  tier: cartlTier,
  tasks: [
    {
      id: 'cifar100-fdm-wrn34-10-to-svhn/linf-8',
      source: cartlSource('cifar100', 'wrn-34-10'),
      target: 'svhn',
      ...CT_TASK,
    },
    {
      id: 'cifar100-fdm-wrn34-10-to-gtsrb/linf-8',
      source: cartlSource('cifar100', 'wrn-34-10'),
      target: 'gtsrb',
      ...CT_TASK,
    },
    {
      id: 'cifar10-fdm-wrn28-4-to-svhn/linf-8',
      source: cartlSource('cifar10', 'wrn-28-4'),
      target: 'svhn',
      ...CT_TASK,
    },
    { id: 'gtsrb-fdm-wrn28-4-to-svhn/linf-8', source: cartlSource('gtsrb', 'wrn-28-4'), target: 'svhn', ...CT_TASK },
    {
      id: 'cifar100-fdm-wrn34-10-to-cifar10/linf-8',
      source: cartlSource('cifar100', 'wrn-34-10'),
      target: 'cifar10',
      ...CT_TASK,
    },
    // The ablation's "AT source": the same recipe without FDM (LwF is not in that table).
    {
      id: 'cifar100-at-wrn34-10-to-cifar10/linf-8',
      source: cartlSource('cifar100', 'wrn-34-10', false),
      target: 'cifar10',
      threat: LINF_8,
      augment: PAPER_AUGMENT.crop32,
      methods: ['partial', 'cartl'],
    },
  ],
  methods: [
    { id: 'partial', config: { ...ctSgd, k: cartlK, schedule: 'cosine' } },
    { id: 'lwf', config: { ...ctSgd, schedule: 'cosine' } },
    {
      id: 'cartl',
      config: { ...ctSgd, k: cartlK, schedule: 'paper', freezeBnAffine: CT.method.freezeBn.value === true },
    },
  ],
  seeds: [0, 1, 2],
};

export const PROTOCOL_SUITES: Readonly<Record<ProtocolId, SuiteInput>> = { twins, rift, cartl };

/** What each protocol suite runs beside the paper's setting, for the dry-run. */
function settingsTable(p: ProtocolSettings, s: SuiteInput): SuiteSetting[] {
  const t = s.tier;
  const methods = s.methods.map((m) => `${m.id} ${JSON.stringify(m.config ?? {})}`).join('; ');
  const ev = t.evaluation;
  const evalLine = [
    `PGD-${ev.pgd.steps} step ${ev.pgd.stepSizeOverEps} eps x ${ev.pgd.restarts} restart(s)`,
    ev.autoattack ? `AutoAttack ${ev.autoattack.version ?? 'standard'} on ${ev.autoattack.n}` : '',
    ev.corruptions ? `-C on ${ev.corruptions.n} per split` : '',
    `first ${ev.n} test points`,
  ].filter(Boolean);
  const out = [
    row(
      'source',
      s.tasks.map((x) => `${x.id}: ${typeof x.source === 'string' ? x.source : JSON.stringify(x.source)}`).join('; '),
      p.source,
    ),
    row('targets', s.tasks.map((x) => x.target + (x.resize ? ` resized to ${x.resize}` : '')).join(', '), p.targets),
    row('resolution', s.tasks.map((x) => `${x.target}: ${x.resize ?? 'as loaded'}`).join(', '), p.resolution),
    row('augmentation', s.tasks.map((x) => `${x.target}: ${describeAugment(x.augment)}`).join(', '), p.augmentation),
    row('epochs', String(t.budget.epochs), p.epochs),
    row('batchSize', String(t.budget.batchSize), p.batchSize),
    row('optimizer', 'SGD with momentum (every entry)', p.optimizer),
    row('momentum', methods, p.momentum),
    row('lr', methods, p.lr),
    row('weightDecay', methods, p.weightDecay),
    row('schedule', methods, p.schedule),
    row('trainAttack', `PGD-${t.trainAttack.steps}, step ${t.trainAttack.stepSizeOverEps} eps`, p.trainAttack),
  ];
  for (const [k, v] of Object.entries(p.evaluation)) out.push(row(`evaluation.${k}`, evalLine.join('; '), v));
  for (const [k, v] of Object.entries(p.method)) out.push(row(`method.${k}`, methods, v));
  return out;
}

export const PROTOCOL_SUITE_SETTINGS: Readonly<Record<ProtocolId, readonly SuiteSetting[]>> = {
  twins: settingsTable(TW, twins),
  rift: settingsTable(RF, rift),
  cartl: settingsTable(CT, cartl),
};

/** The protocol a suite id reproduces (`twins`, `twins-mini` -> twins), or undefined. */
export function protocolOfSuite(suiteId: string): ProtocolId | undefined {
  const base = suiteId.replace(/-mini$/, '');
  return base in PROTOCOL_SUITES ? (base as ProtocolId) : undefined;
}

/** The dry-run's lines for a protocol suite: each setting with the paper's value and its citation. */
export function describeProtocolSettings(protocol: ProtocolId): string[] {
  return PROTOCOL_SUITE_SETTINGS[protocol].map((r) => {
    const paper = Array.isArray(r.paper.value) ? r.paper.value.join(', ') : String(r.paper.value);
    const note = r.paper.note ? ` (${r.paper.note})` : '';
    return `  ${r.field}: paper ${paper} [${formatCitation(r.paper.citation)}]${note}\n      ours: ${r.ours}`;
  });
}
