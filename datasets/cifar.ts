/**
 * @module CIFAR-10 and CIFAR-100 (Krizhevsky 2009) from the official binary archives. Files are read from
 * `<data>/cifar10/cifar-10-batches-bin/` (or `<data>/cifar100/cifar-100-binary/`), which a user may fill
 * by hand; otherwise the archive is downloaded, its MD5 verified before use, and extracted there.
 * Decoded splits are kept in the split cache (split-cache.ts), so a second load is one file read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataRoot } from './cache-dir.ts';
import { parseCifarBinary } from './formats/cifar-binary.ts';
import { memoize } from './memo.ts';
import { type DatasetSource, datasetFolder, ensureFiles } from './sources.ts';
import { cachedSplit } from './split-cache.ts';
import type { DataSplit, Dataset, LoadOptions, SplitName } from './types.ts';

export const CIFAR10_CLASSES = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

interface Variant {
  id: 'cifar10' | 'cifar100';
  url: string;
  md5: string;
  bytes: number;
  folder: string;
  files: Record<SplitName, string[]>;
  labelBytes: 1 | 2;
  mean: number[];
  std: number[];
}

const CIFAR10: Variant = {
  id: 'cifar10',
  url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz',
  md5: 'c32a1d4ab5d03f1284b67883e8d87530',
  bytes: 170_052_171,
  folder: 'cifar-10-batches-bin',
  files: { train: [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`), test: ['test_batch.bin'] },
  labelBytes: 1,
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.2471, 0.2435, 0.2616],
};

const CIFAR100: Variant = {
  id: 'cifar100',
  url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz',
  md5: '03b5dce01913d631647c71ecec9e9cb8',
  bytes: 168_513_733,
  folder: 'cifar-100-binary',
  files: { train: ['train.bin'], test: ['test.bin'] },
  labelBytes: 2,
  mean: [0.5071, 0.4865, 0.4409],
  std: [0.2673, 0.2564, 0.2762],
};

function source(v: Variant): DatasetSource {
  const name = v.url.split('/').pop()!;
  return {
    folderName: v.id,
    files: [
      {
        name,
        url: v.url,
        checksum: { algorithm: 'md5', hex: v.md5 },
        bytes: v.bytes,
        archive: 'tar',
        provides: [v.folder],
      },
    ],
  };
}

function makeCifar(v: Variant, classNames: string[], opts: LoadOptions, fine = true): Dataset {
  const src = source(v);
  const folder = datasetFolder(src, opts);
  const version = `${v.id}-bin-${v.md5.slice(0, 8)}${v.labelBytes === 2 ? (fine ? '-fine' : '-coarse') : ''}`;
  const decode = async (split: SplitName): Promise<DataSplit> => {
    const dir = join(await ensureFiles(v.id, src, [v.folder], opts), v.folder);
    const parts = v.files[split].map((f) => {
      const file = join(dir, f);
      if (!existsSync(file)) throw new Error(`${v.id}: missing ${file}`);
      return parseCifarBinary(readFileSync(file), v.labelBytes, file);
    });
    const n = parts.reduce((s, p) => s + p.n, 0);
    const images = new Uint8Array(n * 3072);
    const labels = new Int32Array(n);
    let at = 0;
    for (const p of parts) {
      images.set(p.images, at * 3072);
      labels.set(p.labels[v.labelBytes === 2 && fine ? 1 : 0], at);
      at += p.n;
    }
    return { images, labels, n, shape: [32, 32, 3] };
  };
  const sources = (split: SplitName) => v.files[split].map((f) => join(folder, v.folder, f));
  return {
    id: v.labelBytes === 2 && !fine ? `${v.id}-coarse` : v.id,
    version,
    classNames,
    inputShape: [32, 32, 3],
    mean: v.mean,
    std: v.std,
    source: src,
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
      await ensureFiles(v.id, src, [v.folder], opts);
    },
  };
}

export function cifar10(opts: LoadOptions = {}): Dataset {
  return makeCifar(CIFAR10, CIFAR10_CLASSES, opts);
}

/** CIFAR-100 with fine (100) or coarse (20) labels; class names come from the archive's name files. */
export function cifar100(opts: LoadOptions = {}, labels: 'fine' | 'coarse' = 'fine'): Dataset {
  const count = labels === 'fine' ? 100 : 20;
  const names = Array.from({ length: count }, (_, i) => `${labels}-${i}`);
  const nameFile = join(dataRoot(opts), 'cifar100', CIFAR100.folder, `${labels}_label_names.txt`);
  if (existsSync(nameFile)) {
    const read = readFileSync(nameFile, 'utf8')
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    if (read.length === count) names.splice(0, count, ...read);
  }
  return makeCifar(CIFAR100, names, opts, labels === 'fine');
}
