/**
 * @module Dataset ids: `fashion-mnist`, `cifar10`, `cifar100` (fine labels), `cifar100-coarse`, `synthetic`, and class splits of any of them written
 * `<id>[0-4]` or `<id>[5,6,7]`. Add a dataset by adding its factory to BASE.
 */
import { UnknownIdError } from '../harness/util/registry.ts';
import { cifar10, cifar100 } from './cifar.ts';
import { classSplit, parseClassList } from './class-split.ts';
import { fashionMnist } from './fashion-mnist.ts';
import { syntheticDataset } from './synthetic.ts';
import type { Dataset, LoadOptions } from './types.ts';

const BASE: Record<string, (opts: LoadOptions) => Dataset> = {
  'fashion-mnist': (opts) => fashionMnist(opts),
  cifar10: (opts) => cifar10(opts),
  cifar100: (opts) => cifar100(opts, 'fine'),
  'cifar100-coarse': (opts) => cifar100(opts, 'coarse'),
  synthetic: () => syntheticDataset(),
};

export function datasetIds(): string[] {
  return Object.keys(BASE);
}

export function getDataset(id: string, opts: LoadOptions = {}): Dataset {
  const m = /^([a-z0-9-]+)(?:\[([^\]]+)\])?$/.exec(id);
  const make = m && BASE[m[1]];
  if (!m || !make) throw new UnknownIdError('dataset', m?.[1] ?? id, datasetIds());
  const base = make(opts);
  if (m[2] === undefined) return base;
  return classSplit(base, parseClassList(m[2], base.classNames.length, `dataset '${id}'`), m[2]);
}
