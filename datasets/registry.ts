/**
 * @module Dataset ids: `fashion-mnist`, `cifar10`, `cifar100` (fine labels), `cifar100-coarse`, `svhn`,
 * `gtsrb`, `caltech256` (clutter excluded), `tiny-imagenet`, `synthetic`; the corrupted test sets
 * `cifar10-c`, `cifar100-c`, `tiny-imagenet-c`, with one split selected as `<id>:<corruption>:<severity>`
 * (`cifar10-c:gaussian_noise:3`); and class splits of any of them written `<id>[0-4]` or `<id>[5,6,7]`
 * (`svhn[0-4]`, `cifar10-c:fog:5[0-4]`). Add a dataset by adding its factory to BASE (or CORRUPTED).
 */
import { UnknownIdError } from '../harness/util/registry.ts';
import { caltech256 } from './caltech256.ts';
import { cifar10, cifar100 } from './cifar.ts';
import { cifar100c, cifar10c } from './cifar-c.ts';
import { classSplit, parseClassList } from './class-split.ts';
import type { Selection } from './corruption-set.ts';
import { fashionMnist } from './fashion-mnist.ts';
import { gtsrb } from './gtsrb.ts';
import { svhn } from './svhn.ts';
import { syntheticDataset } from './synthetic.ts';
import { tinyImagenet } from './tiny-imagenet.ts';
import { tinyImagenetC } from './tiny-imagenet-c.ts';
import type { CorruptionDataset, Dataset, LoadOptions } from './types.ts';

const BASE: Record<string, (opts: LoadOptions) => Dataset> = {
  'fashion-mnist': (opts) => fashionMnist(opts),
  cifar10: (opts) => cifar10(opts),
  cifar100: (opts) => cifar100(opts, 'fine'),
  'cifar100-coarse': (opts) => cifar100(opts, 'coarse'),
  svhn: (opts) => svhn(opts),
  gtsrb: (opts) => gtsrb(opts),
  caltech256: (opts) => caltech256(opts),
  'tiny-imagenet': (opts) => tinyImagenet(opts),
  synthetic: () => syntheticDataset(),
};

const CORRUPTED: Record<string, (opts: LoadOptions, selected?: Selection) => CorruptionDataset> = {
  'cifar10-c': cifar10c,
  'cifar100-c': cifar100c,
  'tiny-imagenet-c': tinyImagenetC,
};

export function datasetIds(): string[] {
  return [...Object.keys(BASE), ...Object.keys(CORRUPTED)];
}

export function corruptedDatasetIds(): string[] {
  return Object.keys(CORRUPTED);
}

export function getDataset(id: string, opts: LoadOptions = {}): Dataset {
  const m = /^([a-z0-9-]+)(?::([a-z_]+):(\d+))?(?:\[([^\]]+)\])?$/.exec(id);
  if (!m || (!BASE[m[1]] && !CORRUPTED[m[1]])) throw new UnknownIdError('dataset', m?.[1] ?? id, datasetIds());
  const [, name, corruption, severity, classes] = m;
  let base: Dataset;
  if (CORRUPTED[name]) {
    base = CORRUPTED[name](opts, corruption === undefined ? undefined : { corruption, severity: Number(severity) });
  } else {
    if (corruption !== undefined) throw new Error(`dataset '${id}': only corrupted sets (${corruptedDatasetIds().join(', ')}) take ':<corruption>:<severity>'`);
    base = BASE[name](opts);
  }
  if (classes === undefined) return base;
  return classSplit(base, parseClassList(classes, base.classNames.length, `dataset '${id}'`), classes);
}

/** A corrupted set by id (`cifar10-c`), for the corruption evaluation. */
export function getCorruptionDataset(id: string, opts: LoadOptions = {}): CorruptionDataset {
  const make = CORRUPTED[id];
  if (!make) throw new UnknownIdError('corrupted dataset', id, corruptedDatasetIds());
  return make(opts);
}
