/**
 * @module `<protocol>-mini`: a CPU rehearsal of each protocol suite. The same methods and configs, the same
 * kinds of source (a PyTorch checkpoint loaded through the external-source path, resized where the protocol
 * resizes; a recipe pre-trained with FDM for CARTL), the protocol's kind of augmentation, the same evaluation
 * (PGD with the protocol's restarts, AutoAttack, -C where the protocol has it) on a handful of images and one
 * epoch, so a protocol is known to run before a GPU sees it. The sources are the small PyTorch-made fixtures of `test/fixtures/torch/`.
 */
import { fileURLToPath } from 'node:url';
import type { ProtocolId } from './papers/index.ts';
import { PAPER_AUGMENT, PROTOCOL_SUITES } from './paper-suites.ts';
import type { ExternalSourceInput, SuiteInput } from './schema.ts';

const LINF_8 = { norm: 'Linf', eps: 8 / 255 } as const;
const fixture = (name: string) => fileURLToPath(new URL(`../../test/fixtures/torch/${name}`, import.meta.url));

/** The checkpoints the mini suites load (defaults: the committed fixtures; tests may pass their own). */
export interface MiniFixtures {
  /** A torchvision-named ResNet-50 (stem width 8, 10 classes): stands in for Salman et al.'s ResNet-50. */
  resnet50: string;
  /** A kuangliu-named CIFAR ResNet-18 (width 8, 10 classes): stands in for RiFT's AT ResNet-18. */
  cifarResnet18: string;
}

export const DEFAULT_MINI_FIXTURES: MiniFixtures = {
  resnet50: fixture('resnet50_w8.zip.pt'),
  cifarResnet18: fixture('cifar_resnet18_w8.zip.pt'),
};

const FIXTURE_CITATION = 'Fixture made by PyTorch (test/fixtures/torch/make_fixtures.py), random weights';

/** The protocol's tier at mini scale: its kinds of evaluation, on 16 points and 32 training images. */
function miniTier(protocol: ProtocolId): SuiteInput['tier'] {
  const full = PROTOCOL_SUITES[protocol].tier.evaluation;
  return {
    id: 'smoke',
    budget: { epochs: 1, batchSize: 16, maxTrainExamples: 32 },
    trainAttack: { steps: 2, stepSizeOverEps: 0.5 },
    evaluation: {
      n: 16,
      batchSize: 16,
      pgd: { steps: 3, stepSizeOverEps: 0.25, restarts: full.pgd.restarts },
      autoattack: {
        version: 'custom',
        attacks: ['apgd-ce', 'apgd-t'],
        n: 8,
        batchSize: 8,
        overrides: { apgd: { nIter: 5 }, apgdT: { nIter: 5, nTargetClasses: 2 } },
      },
      ...(full.corruptions ? { corruptions: { n: 8, batchSize: 8, only: ['gaussian_noise'] } } : {}),
    },
  };
}

/** The full suite's methods with RiFT's inner loops cut to mini scale (same stages, fewer examples). */
function miniMethods(protocol: ProtocolId): SuiteInput['methods'] {
  return PROTOCOL_SUITES[protocol].methods.map((m) =>
    m.id === 'rift'
      ? {
          ...m,
          config: {
            ...m.config,
            ftEpochs: 1,
            mrcExamples: 16,
            mrcAttackSteps: 2,
            mrcEpochs: 1,
            holdout: 8,
            selectAttackSteps: 2,
          },
        }
      : m,
  );
}

function torchSource(
  path: string,
  o: Pick<ExternalSourceInput, 'arch' | 'inputShape' | 'mean' | 'std' | 'threat'>,
): ExternalSourceInput {
  return { checkpoint: { path, format: 'torch' }, width: 8, numClasses: 10, citation: FIXTURE_CITATION, ...o };
}

function miniTasks(protocol: ProtocolId, f: MiniFixtures): SuiteInput['tasks'] {
  switch (protocol) {
    case 'twins':
      // The catalog ResNet-50's normalisation; CIFAR-10 resized to 48 px with a random-resized-crop exercises the
      // Caltech-256 (224 px) path.
      return [
        {
          id: 'fixture-r50w8-to-cifar10/linf-8',
          source: torchSource(f.resnet50, {
            arch: 'resnet50',
            inputShape: [48, 48, 3],
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
            threat: { norm: 'Linf', eps: 4 / 255 },
          }),
          target: 'cifar10',
          threat: LINF_8,
          resize: 48,
          augment: PAPER_AUGMENT.resizedCrop(48),
        },
      ];
    case 'rift':
      return [
        {
          id: 'fixture-rn18w8-to-cifar10/linf-8',
          source: torchSource(f.cifarResnet18, {
            arch: 'resnet18',
            inputShape: [32, 32, 3],
            mean: [0.4914, 0.4822, 0.4465],
            std: [0.2471, 0.2435, 0.2616],
            threat: LINF_8,
          }),
          target: 'cifar10',
          threat: LINF_8,
          corruptions: 'cifar10-c',
          augment: PAPER_AUGMENT.reflectCrop32,
        },
      ];
    case 'cartl':
      // CARTL's sources are pre-trained here, so its rehearsal pre-trains one too: AT + FDM, one short epoch.
      return [
        {
          id: 'cifar10-0-4-fdm-to-5-9/linf-8',
          source: {
            dataset: 'cifar10[0-4]',
            arch: 'small-resnet',
            recipe: 'at-fdm',
            threat: LINF_8,
            steps: 2,
            stepSize: 2 / 255,
            epochs: 1,
            batchSize: 16,
            maxTrainExamples: 32,
            lr: 0.05,
            fdm: { k: 2, lambda: 0.005 },
          },
          target: 'cifar10[5-9]',
          threat: LINF_8,
          augment: PAPER_AUGMENT.crop32,
        },
      ];
  }
}

/** `<protocol>-mini` over the given checkpoints (default: the committed fixtures). */
export function miniSuite(protocol: ProtocolId, fixtures: MiniFixtures = DEFAULT_MINI_FIXTURES): SuiteInput {
  // small-resnet has 5 blocks: CARTL's k 4 of 17 becomes 2 here.
  const methods = miniMethods(protocol).map((m) =>
    protocol === 'cartl' && 'k' in (m.config ?? {}) ? { ...m, config: { ...m.config, k: 2 } } : m,
  );
  return {
    id: `${protocol}-mini`,
    description:
      `CPU rehearsal of the ${protocol} suite: its methods, configs and kinds of source, resizing, augmentation and ` +
      'evaluation on 32 training images (one epoch) and 16 test points, from small fixture checkpoints. Checks the pipeline, not the methods.',
    tier: miniTier(protocol),
    tasks: miniTasks(protocol, fixtures),
    methods,
    seeds: [0],
  };
}
