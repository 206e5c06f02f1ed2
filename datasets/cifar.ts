/**
 * @module CIFAR-10 and CIFAR-100 (Krizhevsky 2009) from the official binary archives. Files are read from
 * `<data>/cifar10/cifar-10-batches-bin/` (or `<data>/cifar100/cifar-100-binary/`), which a user may fill
 * by hand; otherwise the archive is downloaded, its MD5 verified before use, and extracted there.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tar from 'tar';
import { dataRoot } from './cache-dir.ts';
import { downloadVerified } from './download.ts';
import { parseCifarBinary } from './formats/cifar-binary.ts';
import type { DataSplit, Dataset, LoadOptions, SplitName } from './types.ts';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

interface Variant {
  id: 'cifar10' | 'cifar100';
  url: string;
  md5: string;
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
  folder: 'cifar-100-binary',
  files: { train: ['train.bin'], test: ['test.bin'] },
  labelBytes: 2,
  mean: [0.5071, 0.4865, 0.4409],
  std: [0.2673, 0.2564, 0.2762],
};

/** Downloads and extracts the archive once; extraction goes to a temporary folder renamed into place. */
async function ensureFiles(v: Variant, opts: LoadOptions): Promise<string> {
  const root = join(dataRoot(opts), v.id);
  const dir = join(root, v.folder);
  if (existsSync(dir)) return dir;
  if (opts.download === false) throw new Error(`${v.id}: ${dir} does not exist and downloads are off (put the files of ${v.url} there)`);
  const archive = join(root, v.url.split('/').pop()!);
  if (!existsSync(archive)) await downloadVerified(v.url, archive, { algorithm: 'md5', hex: v.md5 });
  const tmp = join(root, `.extract-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await tar.x({ file: archive, cwd: tmp });
    renameSync(join(tmp, v.folder), dir);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return dir;
}

function makeCifar(v: Variant, classNames: string[], opts: LoadOptions, fine = true): Dataset {
  const cache = new Map<SplitName, Promise<DataSplit>>();
  const load = async (split: SplitName): Promise<DataSplit> => {
    const dir = await ensureFiles(v, opts);
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
  return {
    id: v.labelBytes === 2 && !fine ? `${v.id}-coarse` : v.id,
    version: `${v.id}-bin-${v.md5.slice(0, 8)}${v.labelBytes === 2 ? (fine ? '-fine' : '-coarse') : ''}`,
    classNames,
    inputShape: [32, 32, 3],
    mean: v.mean,
    std: v.std,
    load(split) {
      let p = cache.get(split);
      if (!p) {
        p = load(split);
        cache.set(split, p);
      }
      return p;
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
    const read = readFileSync(nameFile, 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);
    if (read.length === count) names.splice(0, count, ...read);
  }
  return makeCifar(CIFAR100, names, opts, labels === 'fine');
}
