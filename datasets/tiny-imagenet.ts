/**
 * @module Tiny-ImageNet-200 (CS231n): 200 classes of 64x64 JPEGs under `<data>/tiny-imagenet/tiny-imagenet-200/`.
 * Class index = position in the sorted `wnids.txt`; names from `words.txt` (first synonym) when present.
 * Train: `train/<wnid>/images/*.JPEG` (500 per class). The test images are unlabelled, so the labelled
 * `val/images/` (10,000, labels in `val/val_annotations.txt`) is our test split, as in the literature.
 * A few JPEGs are grayscale: the decoder expands them to RGB (R = G = B).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LabelledFile, decodeJpegFiles } from './jpeg-folder.ts';
import { memoize } from './memo.ts';
import { type DatasetSource, datasetFolder, ensureFiles } from './sources.ts';
import { cachedSplit } from './split-cache.ts';
import type { DataSplit, Dataset, LoadOptions, SplitName } from './types.ts';

export const TINY_TOP = 'tiny-imagenet-200';
const MD5 = '90528d7ca1a48142e341f4ef8d21d0de';

export const TINY_IMAGENET_SOURCE: DatasetSource = {
  folderName: 'tiny-imagenet',
  files: [
    {
      name: 'tiny-imagenet-200.zip',
      url: 'http://cs231n.stanford.edu/tiny-imagenet-200.zip',
      checksum: { algorithm: 'md5', hex: MD5 },
      bytes: 248_100_043,
      archive: 'zip',
      provides: [TINY_TOP],
    },
  ],
};

/** Sorted wnids of `wnids.txt` (the class order). */
export function readWnids(root: string): string[] {
  const file = join(root, 'wnids.txt');
  if (!existsSync(file)) throw new Error(`tiny-imagenet: missing ${file}`);
  const wnids = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter(Boolean)
    .sort();
  if (wnids.length === 0) throw new Error(`tiny-imagenet: ${file} lists no wnids`);
  return wnids;
}

/** Human names from `words.txt` (`wnid<TAB>name, synonym, ...`), falling back to the wnid. */
export function wnidNames(root: string, wnids: string[]): string[] {
  const file = join(root, 'words.txt');
  const words = new Map<string, string>();
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
      const [wnid, text] = line.split('\t');
      if (wnid && text) words.set(wnid.trim(), text.split(',')[0].trim());
    }
  }
  return wnids.map((w) => words.get(w) ?? w);
}

export function tinyImagenetFiles(root: string, split: SplitName): LabelledFile[] {
  const wnids = readWnids(root);
  const index = new Map(wnids.map((w, i) => [w, i]));
  if (split === 'train') {
    return wnids.flatMap((wnid) => {
      const dir = join(root, 'train', wnid, 'images');
      if (!existsSync(dir)) throw new Error(`tiny-imagenet: missing ${dir}`);
      return readdirSync(dir)
        .filter((f) => /\.jpe?g$/i.test(f))
        .sort()
        .map((f) => ({ path: join(dir, f), label: index.get(wnid)! }));
    });
  }
  const annotations = join(root, 'val', 'val_annotations.txt');
  if (!existsSync(annotations)) throw new Error(`tiny-imagenet: missing ${annotations}`);
  return readFileSync(annotations, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((line, k) => {
      const [file, wnid] = line.split('\t');
      const label = index.get(wnid?.trim());
      if (!file || label === undefined)
        throw new Error(`tiny-imagenet: ${annotations} line ${k + 1}: unknown wnid '${wnid}' ('${line}')`);
      return { path: join(root, 'val', 'images', file.trim()), label };
    });
}

export function tinyImagenet(opts: LoadOptions = {}): Dataset {
  const folder = datasetFolder(TINY_IMAGENET_SOURCE, opts);
  const root = join(folder, TINY_TOP);
  const names = existsSync(join(root, 'wnids.txt'))
    ? wnidNames(root, readWnids(root))
    : Array.from({ length: 200 }, (_, i) => `class-${i}`);
  const version = `tiny-imagenet-200-${MD5.slice(0, 8)}-val-as-test-v1`;
  const decode = async (split: SplitName): Promise<DataSplit> => {
    const dir = join(await ensureFiles('tiny-imagenet', TINY_IMAGENET_SOURCE, [TINY_TOP], opts), TINY_TOP);
    return decodeJpegFiles(tinyImagenetFiles(dir, split), 64, 'resize', opts.log);
  };
  const sources = (split: SplitName) => [
    join(root, 'wnids.txt'),
    split === 'train' ? join(root, 'train') : join(root, 'val', 'val_annotations.txt'),
  ];
  return {
    id: 'tiny-imagenet',
    version,
    classNames: names,
    inputShape: [64, 64, 3],
    mean: [0.4802, 0.4481, 0.3975],
    std: [0.277, 0.2691, 0.2821],
    source: TINY_IMAGENET_SOURCE,
    folder,
    load: memoize((split: SplitName) =>
      cachedSplit(
        { folder, version, split },
        () => sources(split),
        () => decode(split),
        opts.log,
      ),
    ),
    async prepare() {
      await ensureFiles('tiny-imagenet', TINY_IMAGENET_SOURCE, [TINY_TOP], opts);
    },
  };
}
