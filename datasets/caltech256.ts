/**
 * @module Caltech-256 (Griffin et al. 2007): 30,607 JPEGs in 257 folders `NNN.name/`, label = NNN - 1.
 * Folder `257.clutter` is background clutter, not an object class: it is EXCLUDED by default (256
 * classes); `includeClutter` keeps it as class 256. Non-JPEG files (the archive's stray `RENAME2`)
 * are skipped. Images are centre-cropped to a square and resized to `size` (default 64) with the
 * bilinear filter of resize.ts. There is no official split: each class's files (sorted by name) are
 * permuted with `Rng(seed).fork('caltech256/<class folder>')`, the first `trainPerClass` (default 60)
 * go to train and the rest to test. Size, split rule, seed and the clutter choice are in the version.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../harness/foundation/rng.ts';
import { type LabelledFile, decodeJpegFiles } from './jpeg-folder.ts';
import { memoize } from './memo.ts';
import { type DatasetSource, datasetFolder, ensureFiles } from './sources.ts';
import { cachedSplit } from './split-cache.ts';
import type { DataSplit, Dataset, LoadOptions, SplitName } from './types.ts';

const TOP = '256_ObjectCategories';
const MD5 = '67b4f42ca05d46448c6bb8ecd2220f6d';

export const CALTECH256_SOURCE: DatasetSource = {
  folderName: 'caltech256',
  files: [
    {
      name: '256_ObjectCategories.tar',
      url: 'https://data.caltech.edu/records/nyy15-4j048/files/256_ObjectCategories.tar?download=1',
      checksum: { algorithm: 'md5', hex: MD5 },
      archive: 'tar',
      provides: [TOP],
    },
  ],
};

export interface Caltech256Options {
  /** Output side in pixels. */
  size: number;
  trainPerClass: number;
  seed: number;
  /** Keep `257.clutter` as class 256. */
  includeClutter: boolean;
}

export const CALTECH256_DEFAULTS: Caltech256Options = { size: 64, trainPerClass: 60, seed: 0, includeClutter: false };

interface ClassFolder {
  folder: string;
  label: number;
  name: string;
}

function classFolders(root: string, includeClutter: boolean): ClassFolder[] {
  const out: ClassFolder[] = [];
  for (const d of readdirSync(root).sort()) {
    const m = /^(\d{3})\.(.+)$/.exec(d);
    if (!m) continue;
    const num = Number(m[1]);
    if (num === 257 && !includeClutter) continue;
    out.push({ folder: d, label: num - 1, name: m[2] });
  }
  if (out.length === 0) throw new Error(`caltech256: ${root} has no class folders (001.ak47 ...)`);
  return out;
}

/** The seeded per-class split as file lists (exported for tests). */
export function caltechSplitFiles(root: string, o: Caltech256Options): Record<SplitName, LabelledFile[]> {
  const split: Record<SplitName, LabelledFile[]> = { train: [], test: [] };
  const rng = new Rng(o.seed);
  for (const c of classFolders(root, o.includeClutter)) {
    const files = readdirSync(join(root, c.folder))
      .filter((f) => /\.jpe?g$/i.test(f))
      .sort();
    const order = rng.fork(`caltech256/${c.folder}`).permutation(files.length);
    const k = Math.min(o.trainPerClass, files.length);
    const take = (idx: ArrayLike<number>) =>
      Array.from(idx)
        .sort((a, b) => a - b)
        .map((i) => ({ path: join(root, c.folder, files[i]), label: c.label }));
    split.train.push(...take(order.subarray(0, k)));
    split.test.push(...take(order.subarray(k)));
  }
  return split;
}

export function caltech256(opts: LoadOptions = {}, options: Partial<Caltech256Options> = {}): Dataset {
  const o = { ...CALTECH256_DEFAULTS, ...options };
  const folder = datasetFolder(CALTECH256_SOURCE, opts);
  const root = join(folder, TOP);
  const count = o.includeClutter ? 257 : 256;
  const names = Array.from({ length: count }, (_, i) => `class-${i + 1}`);
  if (existsSync(root))
    for (const c of classFolders(root, o.includeClutter)) if (c.label < count) names[c.label] = c.name;
  const version = `caltech256-${MD5.slice(0, 8)}-crop-bilinear${o.size}-train${o.trainPerClass}-seed${o.seed}-${o.includeClutter ? 'with' : 'no'}clutter`;
  const files = memoize(async (_: 'all') =>
    caltechSplitFiles(join(await ensureFiles('caltech256', CALTECH256_SOURCE, [TOP], opts), TOP), o),
  );
  const decode = async (split: SplitName): Promise<DataSplit> =>
    decodeJpegFiles((await files('all'))[split], o.size, 'center-crop', opts.log);
  const sources = () => (existsSync(root) ? classFolders(root, o.includeClutter).map((c) => join(root, c.folder)) : []);
  return {
    id: 'caltech256',
    version,
    classNames: names,
    inputShape: [o.size, o.size, 3],
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    source: CALTECH256_SOURCE,
    folder,
    load: memoize((split: SplitName) =>
      cachedSplit({ folder, version, split }, sources, () => decode(split), opts.log),
    ),
    async prepare() {
      await ensureFiles('caltech256', CALTECH256_SOURCE, [TOP], opts);
    },
  };
}
