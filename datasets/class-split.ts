/**
 * @module Class splits: a dataset restricted to some of its classes, relabelled 0..k-1 in the given
 * order. Transfer tasks within one dataset use them (source = classes 0-4, target = 5-9).
 */
import { memoize } from './memo.ts';
import { type DataSplit, type Dataset, type SplitName, isCorruptionDataset } from './types.ts';

/** Parses `0-4` or `5,6,7` (or a mix, `0-2,7`) into class indices. */
export function parseClassList(spec: string, numClasses: number, origin: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`${origin}: bad class list '${spec}' (use e.g. 0-4 or 5,6,7)`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) throw new Error(`${origin}: bad class range '${part}'`);
    for (let c = lo; c <= hi; c++) out.push(c);
  }
  for (const c of out)
    if (c >= numClasses)
      throw new Error(`${origin}: class ${c} does not exist (the dataset has ${numClasses} classes)`);
  if (new Set(out).size !== out.length) throw new Error(`${origin}: class list '${spec}' repeats a class`);
  return out;
}

function filterSplit(split: DataSplit, classes: number[]): DataSplit {
  const relabel = new Map(classes.map((c, i) => [c, i]));
  const per = split.shape[0] * split.shape[1] * split.shape[2];
  const keep: number[] = [];
  for (let i = 0; i < split.n; i++) if (relabel.has(split.labels[i])) keep.push(i);
  const images = new Uint8Array(keep.length * per);
  const labels = new Int32Array(keep.length);
  keep.forEach((src, i) => {
    images.set(split.images.subarray(src * per, (src + 1) * per), i * per);
    labels[i] = relabel.get(split.labels[src])!;
  });
  return { images, labels, n: keep.length, shape: split.shape };
}

/** The classes of `base`, relabelled; a corrupted set's (corruption, severity) splits are filtered too. */
export function classSplit(base: Dataset, classes: number[], spec: string): Dataset {
  const split: Dataset = {
    ...base,
    id: `${base.id}[${spec}]`,
    version: `${base.version}/classes:${classes.join(',')}`,
    classNames: classes.map((c) => base.classNames[c]),
    load: memoize(async (name: SplitName) => filterSplit(await base.load(name), classes)),
  };
  if (isCorruptionDataset(base)) {
    return {
      ...split,
      loadCorrupted: async (c: string, s: number) => filterSplit(await base.loadCorrupted(c, s), classes),
    } as Dataset;
  }
  return split;
}
