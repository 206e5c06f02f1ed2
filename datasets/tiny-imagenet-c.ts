/**
 * @module Tiny-ImageNet-C (Hendrycks & Dietterich 2019): 64x64 JPEGs in
 * `<data>/tiny-imagenet-c/Tiny-ImageNet-C/<corruption>/<severity>/<wnid>/*.JPEG`, 15 corruptions x 5
 * severities x 10,000 images (the Tiny-ImageNet validation set, corrupted). Labels follow the sorted
 * wnids of the clean set's `wnids.txt` when `<data>/tiny-imagenet` has it, else the sorted wnid
 * folders (the same order for the full set). Decoded splits go to the split cache.
 * Download: the Zenodo record 8206060 copy, whose MD5s are published by torch-uncertainty (the
 * original record 2536630 publishes none); the 4 extra corruptions come from its `-extra` tar.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BENCHMARK_CORRUPTIONS, EXTRA_CORRUPTIONS, type Selection, corruptionSet } from './corruption-set.ts';
import { type LabelledFile, decodeJpegFiles } from './jpeg-folder.ts';
import { type DatasetSource, datasetFolder, ensureFiles } from './sources.ts';
import { cachedSplit } from './split-cache.ts';
import { TINY_IMAGENET_SOURCE, TINY_TOP, readWnids, wnidNames } from './tiny-imagenet.ts';
import type { CorruptionDataset, LoadOptions } from './types.ts';

const TOP = 'Tiny-ImageNet-C';
const BASE = 'https://zenodo.org/record/8206060/files/';

export const TINY_IMAGENET_C_SOURCE: DatasetSource = {
  folderName: 'tiny-imagenet-c',
  files: [
    {
      name: 'Tiny-ImageNet-C.tar',
      url: `${BASE}Tiny-ImageNet-C.tar`,
      checksum: { algorithm: 'md5', hex: 'f9c9a9dbdc11469f0b850190f7ad8be1' },
      archive: 'tar',
      provides: BENCHMARK_CORRUPTIONS.map((c) => `${TOP}/${c}`),
    },
    {
      name: 'Tiny-ImageNet-C-extra.tar',
      url: `${BASE}Tiny-ImageNet-C-extra.tar`,
      checksum: { algorithm: 'md5', hex: '0db0588d243cf403ef93449ec52b70eb' },
      archive: 'tar',
      provides: EXTRA_CORRUPTIONS.map((c) => `${TOP}/${c}`),
    },
  ],
};

/** The labelled files of one (corruption, severity) folder. `wnids` fixes the class order. */
export function tinyImagenetCFiles(dir: string, wnids?: string[]): LabelledFile[] {
  if (!existsSync(dir)) throw new Error(`missing ${dir}`);
  const folders = readdirSync(dir)
    .filter((d) => statSync(join(dir, d)).isDirectory())
    .sort();
  const order = wnids ?? folders;
  const index = new Map(order.map((w, i) => [w, i]));
  return folders.flatMap((wnid) => {
    const label = index.get(wnid);
    if (label === undefined) throw new Error(`${join(dir, wnid)}: wnid '${wnid}' is not a Tiny-ImageNet class`);
    return readdirSync(join(dir, wnid))
      .filter((f) => /\.jpe?g$/i.test(f))
      .sort()
      .map((f) => ({ path: join(dir, wnid, f), label }));
  });
}

export function tinyImagenetC(opts: LoadOptions = {}, selected?: Selection): CorruptionDataset {
  const folder = datasetFolder(TINY_IMAGENET_C_SOURCE, opts);
  const cleanRoot = join(datasetFolder(TINY_IMAGENET_SOURCE, opts), TINY_TOP);
  const wnids = existsSync(join(cleanRoot, 'wnids.txt')) ? readWnids(cleanRoot) : undefined;
  const version = 'tiny-imagenet-c-jpeg-v1';
  return corruptionSet(
    {
      id: 'tiny-imagenet-c',
      clean: 'tiny-imagenet',
      version,
      classNames: wnids ? wnidNames(cleanRoot, wnids) : Array.from({ length: 200 }, (_, i) => `class-${i}`),
      inputShape: [64, 64, 3],
      mean: [0.4802, 0.4481, 0.3975],
      std: [0.277, 0.2691, 0.2821],
      source: TINY_IMAGENET_C_SOURCE,
      folder,
      corruptions: BENCHMARK_CORRUPTIONS,
      extraCorruptions: EXTRA_CORRUPTIONS,
      async loadOne(corruption, severity) {
        const dir = join(folder, TOP, corruption, String(severity));
        return cachedSplit(
          { folder, version, split: `${corruption}-${severity}` },
          () => [dir],
          async () => {
            await ensureFiles('tiny-imagenet-c', TINY_IMAGENET_C_SOURCE, [`${TOP}/${corruption}`], opts);
            try {
              return await decodeJpegFiles(tinyImagenetCFiles(dir, wnids), 64, 'resize', opts.log);
            } catch (err) {
              throw new Error(`tiny-imagenet-c: ${(err as Error).message}`);
            }
          },
          opts.log,
        );
      },
      async prepare() {
        await ensureFiles(
          'tiny-imagenet-c',
          TINY_IMAGENET_C_SOURCE,
          BENCHMARK_CORRUPTIONS.map((c) => `${TOP}/${c}`),
          opts,
        );
      },
    },
    selected,
  );
}
