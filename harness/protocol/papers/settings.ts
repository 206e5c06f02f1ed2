/**
 * @module Each seed paper's protocol settings as data, one citation per setting (a paper place, or the official
 * repository's file and lines at the commit pinned in `citation.ts`). Values are as the source states them;
 * `note` says where our method entries or tiers differ or where the source is ambiguous.
 */
import { z } from 'zod';
import { CitationSchema, inPaper, inRepo, type Citation, PAPER_IDS } from './citation.ts';
import { PROTOCOLS } from './published.ts';

const ValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]);

export const SettingSchema = z.strictObject({
  value: ValueSchema,
  citation: CitationSchema,
  note: z.string().min(1).optional(),
});
export type Setting = z.infer<typeof SettingSchema>;

export const ProtocolSettingsSchema = z.strictObject({
  protocol: z.enum(PROTOCOLS),
  paper: z.enum(PAPER_IDS),
  /** Our method ids the protocol compares. */
  methodIds: z.array(z.string().min(1)).min(1),
  source: SettingSchema,
  /** `harness/protocol/catalog.ts` id of the source, when it is there. */
  sourceCatalogId: z.string().min(1).nullable(),
  /** Targets: our dataset ids where we have the dataset, else the name as printed. */
  targets: SettingSchema,
  resolution: SettingSchema,
  augmentation: SettingSchema,
  optimizer: SettingSchema,
  momentum: SettingSchema,
  lr: SettingSchema,
  weightDecay: SettingSchema,
  epochs: SettingSchema,
  batchSize: SettingSchema,
  schedule: SettingSchema,
  trainAttack: SettingSchema,
  evaluation: z.record(z.string(), SettingSchema),
  /** Method hyper-parameters (TWINS' lambda, RiFT's stages, CARTL's k / lambda / beta). */
  method: z.record(z.string(), SettingSchema),
});
export type ProtocolSettings = z.infer<typeof ProtocolSettingsSchema>;

const s = (value: Setting['value'], citation: Citation, note?: string): Setting =>
  note ? { value, citation, note } : { value, citation };

// TWINS: the official code's CIFAR (TWINS_cifar) and high-resolution (TWINS_high_res_data) trainers.
const tw = (path: string, lines: string) => inRepo('twins', path, lines);
const TW_AT = 'TWINS_cifar/train-TWINS-AT.py';
const TW_HR = 'TWINS_high_res_data/train-TWINS-AT.py';

const TWINS: ProtocolSettings = {
  protocol: 'twins',
  paper: 'twins',
  methodIds: ['at', 'trades', 'twins-at', 'twins-trades'],
  source: s(
    'ResNet-50 PGD-AT on ImageNet, Linf 4/255 (resnet50_linf_eps4.0.ckpt of Salman et al., 2020)',
    tw('TWINS_cifar/train.sh', '6'),
    'README line 10: "We use the pre-trained model in https://github.com/microsoft/robust-models-transfer"',
  ),
  sourceCatalogId: 'salman2020-resnet50-linf-eps4',
  targets: s(['cifar10', 'cifar100', 'caltech256', 'CUB-200', 'Stanford Dogs'], tw('README.md', '10')),
  resolution: s(
    'CIFAR 32 px; Caltech, CUB, Dogs 224 px',
    tw(TW_HR, '332-354'),
    'ours: Caltech-256 at 64 px (centre crop, bilinear); CIFAR at 32 px as here',
  ),
  augmentation: s(
    'CIFAR: random crop 32 with zero padding 4 + horizontal flip; high-res: resize 256, random-resized-crop 224 ' +
      '+ flip, test resize 256 + centre crop 224',
    tw(TW_AT, '331-335'),
    "high-res lines: TWINS_high_res_data/train-TWINS-AT.py 332-354. Ours: each task's augment, for every method; " +
      'Caltech-256 crops from our 64 px images and is evaluated resized to 224 (no centre crop)',
  ),
  optimizer: s('SGD', tw(TW_AT, '55-57')),
  momentum: s(0.9, tw('TWINS_cifar/src/argument.py', '37')),
  lr: s(
    0.003,
    tw('TWINS_cifar/train.sh', '3'),
    'the same 0.003 for AT and TRADES (AT_cifar/train.sh 3); our at/trades default to 0.01 with cosine',
  ),
  weightDecay: s(
    1e-5,
    tw('TWINS_cifar/train.sh', '4'),
    '1e-3 for high-resolution data (TWINS_high_res_data/train.sh 4); our at/trades default to 5e-4',
  ),
  epochs: s(60, tw('TWINS_cifar/train.sh', '6'), '-m_e 60'),
  batchSize: s(128, tw('TWINS_cifar/src/argument.py', '31')),
  schedule: s(
    'multistep x0.1 at epochs 30 and 50',
    tw(TW_AT, '59-61'),
    'our twins entries: x0.1 at 1/2 and 5/6 of the budget (the same at 60 epochs); at/trades: cosine',
  ),
  trainAttack: s(
    'PGD-10, Linf eps 0.0314 (8/255), step 0.00784 (2/255), random start',
    tw('TWINS_cifar/src/argument.py', '22-29'),
    'eps from train.sh 6 (-e 0.0314); random start: train-TWINS-AT.py 86. Our standard tier: PGD-10, step eps/4, random start',
  ),
  evaluation: {
    pgd: s(
      "PGD-10 with the training attack's eps and step, no random start, the whole test set",
      tw(TW_AT, '200-236'),
      'ours: PGD-20 step eps/4 with random start (standard tier)',
    ),
    autoattack: s(
      'AutoAttack standard, Linf 8/255 (as AutoLoRa runs it on this protocol)',
      inRepo('autolora', 'Finetuning_Methods/AutoLoRa/high_resolution/AutoLoRa_high_resolution.py', '549'),
      'the TWINS repository has no AutoAttack code',
    ),
  },
  method: {
    lambda: s(
      1.0,
      tw('TWINS_cifar/train.sh', '5'),
      '0.4 for high-resolution data (TWINS_high_res_data/train.sh 5); our default 1',
    ),
    tradesBeta: s(6.0, tw('TWINS_cifar/src/argument.py', '48')),
    batchSplit: s(
      'first half of each batch through the frozen-statistics BN, second half through the adaptive BN; ' +
        'loss lambda * CE_frozen + CE_adaptive',
      tw(TW_AT, '87-99'),
    ),
  },
};

// RiFT: microsoft/robustlearn RiFT/ (main.py, utils.py, eval_ood.py) and the paper's Section 4.1.
const rf = (path: string, lines: string) => inRepo('rift', `RiFT/${path}`, lines);

const RIFT: ProtocolSettings = {
  protocol: 'rift',
  paper: 'rift',
  methodIds: ['at', 'rift'],
  source: s(
    'an adversarially trained model of the target task itself (ResNet-18/34, WRN-34-10), trained with the Bag-of-Tricks AT code',
    rf('README.md', '41-46'),
    'references: README line 90. RiFT is not transfer learning; our rift entry first adversarially fine-tunes ' +
      'the transferred model (stage 1) to stand in for this model',
  ),
  sourceCatalogId: null,
  targets: s(
    ['cifar10', 'cifar100', 'tiny-imagenet'],
    rf('main.py', '179'),
    'OOD: cifar10-c, cifar100-c, tiny-imagenet-c (eval_ood.py 29-36)',
  ),
  resolution: s('32 px (CIFAR), 64 px (Tiny-ImageNet)', rf('main.py', '181'), 'Tiny-ImageNet 64x64: README line 35'),
  augmentation: s(
    'fine-tuning: random crop 32 with reflect padding 4 + flip (Tiny-ImageNet: crop 64, reflect padding 8)',
    rf('main.py', '227-243'),
    "ours: each task's augment (reflect padding), for every method and stage; RiFT's own zero-padded crop only on tasks without one",
  ),
  optimizer: s('SGD with momentum (SGDM)', rf('main.py', '190')),
  momentum: s(0.9, rf('main.py', '196')),
  lr: s(
    0.001,
    rf('main.py', '185'),
    'README: "Try different learning rate! Usually a small learning rate is preferred" (line 69)',
  ),
  weightDecay: s(5e-4, rf('main.py', '198')),
  epochs: s(
    10,
    rf('main.py', '199'),
    'of the critical fine-tuning; our rift ftEpochs defaults to the tier budget (60 in the standard tier)',
  ),
  batchSize: s(128, rf('main.py', '200')),
  schedule: s('x0.1 at epochs // 2', rf('main.py', '266-267'), 'step decay gamma 0.1 (main.py 197)'),
  trainAttack: s('none in the fine-tuning stage (clean CE on the chosen module)', rf('main.py', '152-173')),
  evaluation: {
    pgd: s(
      'PGD-10, Linf 8/255, run three times, the worst accuracy reported',
      inPaper('rift', 'Section 4.1, "Evaluation metrics"'),
      'the code uses torchattacks PGD eps 8/255, step 2/225 (sic), 10 steps, random start (utils.py 77)',
    ),
    corruption: s('mean accuracy over the -C corruptions and severities', rf('eval_ood.py', '29-36')),
    checkpoint: s(
      'the fine-tuning epoch with the best test accuracy',
      rf('main.py', '307-320'),
      'ours picks it on a held-out part of the training split',
    ),
  },
  method: {
    mrcModules: s('every Conv2d and Linear weight', rf('main.py', '80-89')),
    mrcRadius: s(0.1, rf('main.py', '282'), '||dW|| <= 0.1 ||W|| (main.py 116-122)'),
    mrcOptimizer: s('SGD lr 1, gradient ascent on the CE, 10 epochs', rf('main.py', '102-114')),
    mrcExamples: s(
      'PGD-10 examples (eps 8/255, step 2/225, random start) of the CIFAR test split (Tiny-ImageNet: train split), batch 512',
      rf('main.py', '16-58'),
      'ours: the first 512 of a seeded order of the training split',
    ),
    interpolation: s(
      [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
      rf('utils.py', '27-36'),
      'alpha * theta_ft + (1 - alpha) * theta_AT over the whole state dict',
    ),
    alphaChoice: s(
      'picked by hand: "the one with max IID generalization increase while not drop robustness so much"',
      rf('README.md', '73'),
      'ours: an explicit rule on held-out data (methods/rift/interpolate.ts)',
    ),
    modules: s(
      'ResNet18: layer2.1.conv2 (CIFAR), layer3.1.conv2 (Tiny-ImageNet); WRN34-10: block1.layer.3.conv2 / block1.layer.2.conv2',
      rf('README.md', '55-59'),
    ),
  },
};

// CARTL: NISP-official/CARTL (src/config.py defaults, scripts/, exps/) and the ICML 2021 slides.
const ct = (path: string, lines: string) => inRepo('cartl', path, lines);

const CARTL: ProtocolSettings = {
  protocol: 'cartl',
  paper: 'cartl',
  methodIds: ['partial', 'lwf', 'cartl'],
  source: s(
    'WRN-34-10 PGD-AT on CIFAR-100 (with FDM for CARTL), PGD-7, Linf 8/255, step 2/255, random start; WRN-28-4 on CIFAR-10 / GTSRB',
    ct('exps/fdm_l2.py', '44-49'),
    'PGD-7: also exps/adversarial_training.py 47-50; sources: slides main table; teacher name in scripts/pwrn34_neft_sn_norm.sh 23',
  ),
  sourceCatalogId: null,
  targets: s(['cifar10', 'svhn', 'gtsrb'], inPaper('cartl', 'slides, "Evaluations" tables')),
  resolution: s('32 px', ct('src/utils/data_utils/get_dataloader.py', '105-110')),
  augmentation: s(
    'random crop 32 padding 4 + flip + random rotation 15 degrees',
    ct('src/utils/data_utils/get_dataloader.py', '105-110'),
    "ours: each task's augment (crop + flip) for every method; the rotation is left out (the pipeline has none)",
  ),
  optimizer: s('SGD', ct('src/config.py', '28-29')),
  momentum: s(0.9, ct('src/config.py', '28')),
  lr: s(0.1, ct('src/config.py', '34')),
  weightDecay: s(5e-4, ct('src/config.py', '29')),
  epochs: s(100, ct('src/config.py', '35'), 'our standard tier: 60 epochs'),
  batchSize: s(128, ct('src/config.py', '31')),
  schedule: s(
    '1 warm-up epoch, then x0.2 at epochs 40, 70, 90',
    ct('src/config.py', '36-54'),
    'config.env 1-17 sets the same values',
  ),
  trainAttack: s(
    'none at the target: clean CE on the last k blocks',
    inPaper('cartl', 'slides, "Transfer Learning" and "CARTL"'),
  ),
  evaluation: {
    pgd: s(
      'Foolbox LinfPGD-100, Linf 8/255, step 2/255',
      ct('scripts/pwrn34_neft_sn_norm.sh', '47-48'),
      'eps and step: exps/foolbox_bench.py 22-35; steps: 54-64. Ours: PGD-20 and AutoAttack',
    ),
  },
  method: {
    k: s([4, 6, 8], ct('scripts/pwrn34_neft_sn_norm.sh', '22'), 'our cartl: k from the FDM source (standard tier: 4)'),
    fdmLambda: s(
      0.005,
      ct('scripts/pwrn34_neft_sn_norm.sh', '23'),
      'slides also report 0.01; our standard tier FDM source uses 0.01',
    ),
    neftBeta: s(
      0.4,
      ct('scripts/pwrn34_neft_sn_norm.sh', '8'),
      'slides: beta 1.0, 0.6, 0.4; ours: 0.4 on an FDM source, 0.6 otherwise',
    ),
    powerIterations: s(1, ct('scripts/pwrn34_neft_sn_norm.sh', '7')),
    freezeBn: s(
      true,
      ct('scripts/pwrn34_neft_sn_norm.sh', '14'),
      'the script freezes BN affine (--freeze-bn); our cartl defaults freezeBnAffine to false',
    ),
  },
};

/** The three protocols, validated when this module loads. */
export const PROTOCOL_SETTINGS: readonly ProtocolSettings[] = [TWINS, RIFT, CARTL].map((p) => {
  const r = ProtocolSettingsSchema.safeParse(p);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new Error(`settings.ts: protocol '${p.protocol}': ${issues}`);
});
