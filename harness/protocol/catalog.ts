/**
 * @module The catalog of published robust checkpoints a task may name as its source (`source: 'id'` or
 * `{ catalog: 'id' }`). Data only: each entry is a full external source (see ExternalSourceSchema) plus the
 * publisher's own numbers. No publisher here gives a checksum, so none is listed: the first download's
 * sha256 is pinned in `<data>/sources/external/pins.json` and later runs must match it. Entries do not ask for
 * a measurement (`measure`): a WRN-34-10 PGD-20 run costs hours on a CPU; write the source out in full to add one.
 */
import type { ExternalSourceInput } from './schema.ts';

export interface CatalogEntry {
  id: string;
  title: string;
  /** Where the checkpoint is listed (the page naming the download). */
  listedAt: string;
  source: ExternalSourceInput;
  /** The publisher's accuracies, in [0,1], for reference beside ours. */
  reported?: { clean: number; robust?: number; attack?: string };
}

type Shape = Pick<ExternalSourceInput, 'inputShape' | 'numClasses'>;
const IMAGENET: Shape & Pick<ExternalSourceInput, 'mean' | 'std'> = {
  inputShape: [224, 224, 3],
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
  numClasses: 1000,
};
const SALMAN_2020 =
  'Hadi Salman, Andrew Ilyas, Logan Engstrom, Ashish Kapoor, Aleksander Madry. Do Adversarially Robust ImageNet Models ' +
  'Transfer Better? NeurIPS 2020. arXiv:2007.08489';
const SALMAN_LIST = 'https://github.com/microsoft/robust-models-transfer';
const madryImageNet = (file: string) => `https://huggingface.co/madrylab/robust-imagenet-models/resolve/main/${file}`;

/** RobustBench serves its CIFAR-10 models from Google Drive; this form skips the large-file interstitial page. */
const gdrive = (id: string) => `https://drive.usercontent.google.com/download?id=${id}&export=download&confirm=t`;
const CIFAR10: Shape = { inputShape: [32, 32, 3], numClasses: 10 };
const CIFAR10_LINF_8 = { norm: 'Linf', eps: 8 / 255 } as const;
const robustBench = (name: string) =>
  `https://github.com/RobustBench/robustbench/blob/master/model_info/cifar10/Linf/${name}.json`;

export const CATALOG: readonly CatalogEntry[] = [
  {
    id: 'salman2020-resnet50-linf-eps4',
    title: 'ResNet-50, ImageNet, PGD-AT Linf 4/255 (MadryLab robustness format)',
    listedAt: SALMAN_LIST,
    source: {
      checkpoint: { url: madryImageNet('resnet50_linf_eps4.0.ckpt'), format: 'torch' },
      arch: 'resnet50',
      ...IMAGENET,
      threat: { norm: 'Linf', eps: 4 / 255 },
      citation: SALMAN_2020,
    },
    reported: { clean: 0.6386 },
  },
  {
    id: 'salman2020-resnet50-linf-eps8',
    title: 'ResNet-50, ImageNet, PGD-AT Linf 8/255 (MadryLab robustness format)',
    listedAt: SALMAN_LIST,
    source: {
      checkpoint: { url: madryImageNet('resnet50_linf_eps8.0.ckpt'), format: 'torch' },
      arch: 'resnet50',
      ...IMAGENET,
      threat: { norm: 'Linf', eps: 8 / 255 },
      citation: SALMAN_2020,
    },
    reported: { clean: 0.5453 },
  },
  {
    id: 'salman2020-resnet50-l2-eps3',
    title: 'ResNet-50, ImageNet, PGD-AT L2 3.0 (MadryLab robustness format)',
    listedAt: SALMAN_LIST,
    source: {
      checkpoint: { url: madryImageNet('resnet50_l2_eps3.ckpt'), format: 'torch' },
      arch: 'resnet50',
      ...IMAGENET,
      threat: { norm: 'L2', eps: 3 },
      citation: SALMAN_2020,
    },
    reported: { clean: 0.6283 },
  },
  {
    id: 'robustbench-cifar10-linf-wong2020fast',
    title: 'PreAct ResNet-18, CIFAR-10, FGSM-RS Linf 8/255 (RobustBench Wong2020Fast)',
    listedAt: robustBench('Wong2020Fast'),
    source: {
      checkpoint: { url: gdrive('1Re--_lf3jCEw9bnQqGkjw3J7v2tSZKrv'), fileName: 'Wong2020Fast.pt', format: 'torch' },
      arch: 'preact-resnet18',
      ...CIFAR10,
      mean: [0.4914, 0.4822, 0.4465],
      std: [0.2471, 0.2435, 0.2616],
      threat: CIFAR10_LINF_8,
      citation:
        'Eric Wong, Leslie Rice, J. Zico Kolter. Fast is better than free: Revisiting adversarial training. ' +
        'ICLR 2020. arXiv:2001.03994',
    },
    reported: { clean: 0.8334, robust: 0.4321, attack: 'AutoAttack Linf 8/255 (RobustBench)' },
  },
  {
    id: 'robustbench-cifar10-linf-zhang2019theoretically',
    title: 'WideResNet-34-10, CIFAR-10, TRADES Linf 0.031 (RobustBench Zhang2019Theoretically)',
    listedAt: robustBench('Zhang2019Theoretically'),
    source: {
      checkpoint: {
        url: gdrive('1hPz9QQwyM7QSuWu-ANG_uXR-29xtL8t_'),
        fileName: 'Zhang2019Theoretically.pt',
        format: 'torch',
      },
      arch: 'wrn-34-10',
      // Built with sub_block1=True (RobustBench model zoo): registered, never run in forward.
      dropKeys: ['sub_block1.'],
      ...CIFAR10,
      // The model takes [0,1] pixels as they are.
      mean: [0, 0, 0],
      std: [1, 1, 1],
      threat: { norm: 'Linf', eps: 0.031 },
      citation:
        'Hongyang Zhang, Yaodong Yu, Jiantao Jiao, Eric P. Xing, Laurent El Ghaoui, Michael I. Jordan. Theoretically ' +
        'Principled Trade-off between Robustness and Accuracy. ICML 2019. arXiv:1901.08573',
    },
    reported: { clean: 0.8492, robust: 0.5308, attack: 'AutoAttack Linf 8/255 (RobustBench)' },
  },
  {
    id: 'robustbench-cifar10-linf-carmon2019unlabeled',
    title: 'WideResNet-28-10, CIFAR-10 + 500k unlabeled, RST Linf 8/255 (RobustBench Carmon2019Unlabeled)',
    listedAt: robustBench('Carmon2019Unlabeled'),
    source: {
      checkpoint: {
        url: gdrive('15tUx-gkZMYx7BfEOw1GY5OKC-jECIsPQ'),
        fileName: 'Carmon2019Unlabeled.pt',
        format: 'torch',
      },
      arch: 'wrn-28-10',
      // Built with sub_block1=True (RobustBench model zoo): registered, never run in forward.
      dropKeys: ['sub_block1.'],
      ...CIFAR10,
      mean: [0, 0, 0],
      std: [1, 1, 1],
      threat: CIFAR10_LINF_8,
      citation:
        'Yair Carmon, Aditi Raghunathan, Ludwig Schmidt, Percy Liang, John C. Duchi. Unlabeled Data Improves Adversarial ' +
        'Robustness. NeurIPS 2019. arXiv:1905.13736',
    },
    reported: { clean: 0.8969, robust: 0.5953, attack: 'AutoAttack Linf 8/255 (RobustBench)' },
  },
];

export function findCatalogEntry(id: string): CatalogEntry | undefined {
  return CATALOG.find((e) => e.id === id);
}
