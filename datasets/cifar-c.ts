/**
 * @module CIFAR-10-C and CIFAR-100-C (Hendrycks & Dietterich 2019): `<corruption>.npy` (uint8
 * (50000, 32, 32, 3), rows [(s-1)*10000, s*10000) are severity s) and `labels.npy`, in
 * `<data>/cifar10-c/CIFAR-10-C/` (`<data>/cifar100-c/CIFAR-100-C/`), placed by hand or extracted from
 * the verified Zenodo tar. One (corruption, severity) split is read straight from its rows of the
 * .npy (already NHWC uint8), so these sets need no split cache. Rows per severity = rows / 5, so
 * smaller files with the same structure work too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR10_CLASSES, cifar100 } from './cifar.ts';
import { BENCHMARK_CORRUPTIONS, EXTRA_CORRUPTIONS, type Selection, corruptionSet } from './corruption-set.ts';
import { parseNpy, readNpyRows, toInt32 } from './formats/npy.ts';
import { type DatasetSource, datasetFolder, ensureFiles } from './sources.ts';
import type { CorruptionDataset, DataSplit, LoadOptions } from './types.ts';

interface Variant {
  id: 'cifar10-c' | 'cifar100-c';
  clean: 'cifar10' | 'cifar100';
  top: string;
  url: string;
  md5: string;
  bytes?: number;
}

const VARIANTS: Record<Variant['id'], Variant> = {
  'cifar10-c': {
    id: 'cifar10-c',
    clean: 'cifar10',
    top: 'CIFAR-10-C',
    url: 'https://zenodo.org/record/2535967/files/CIFAR-10-C.tar',
    md5: '56bf5dcef84df0e2308c6dcbcbbd8499',
    bytes: 2_918_471_680,
  },
  'cifar100-c': {
    id: 'cifar100-c',
    clean: 'cifar100',
    top: 'CIFAR-100-C',
    url: 'https://zenodo.org/record/3555552/files/CIFAR-100-C.tar',
    md5: '11f0ed0f1191edbf9fa23466ae6021d3',
  },
};

function source(v: Variant): DatasetSource {
  return {
    folderName: v.id,
    files: [
      {
        name: `${v.top}.tar`,
        url: v.url,
        checksum: { algorithm: 'md5', hex: v.md5 },
        bytes: v.bytes,
        archive: 'tar',
        provides: [v.top],
      },
    ],
  };
}

/** Reads severity `severity` of one corruption file + labels.npy from a CIFAR-C folder. */
export function readCifarC(dir: string, corruption: string, severity: number): DataSplit {
  const file = join(dir, `${corruption}.npy`);
  const labelFile = join(dir, 'labels.npy');
  if (!existsSync(file)) throw new Error(`missing ${file}`);
  if (!existsSync(labelFile)) throw new Error(`missing ${labelFile}`);
  const labels = parseNpy(readFileSync(labelFile), labelFile);
  const total = labels.header.shape[0];
  if (labels.header.shape.length !== 1 || total % 5 !== 0)
    throw new Error(`${labelFile}: shape (${labels.header.shape.join(', ')}) is not (5 * n,)`);
  const per = total / 5;
  const { header, bytes } = readNpyRows(file, (severity - 1) * per, per);
  const [rows, h, w, c] = header.shape;
  if (header.descr !== '|u1' || header.shape.length !== 4 || c !== 3) {
    throw new Error(`${file}: expected uint8 (N, H, W, 3), got '${header.descr}' (${header.shape.join(', ')})`);
  }
  if (rows !== total) throw new Error(`${file}: ${rows} images but ${labelFile} has ${total} labels`);
  return {
    images: bytes,
    labels: toInt32(labels.data).slice((severity - 1) * per, severity * per),
    n: per,
    shape: [h, w, c],
  };
}

function makeCifarC(v: Variant, opts: LoadOptions, selected?: Selection): CorruptionDataset {
  const src = source(v);
  const classNames = v.clean === 'cifar10' ? CIFAR10_CLASSES : cifar100(opts).classNames;
  const clean =
    v.clean === 'cifar10'
      ? { mean: [0.4914, 0.4822, 0.4465], std: [0.2471, 0.2435, 0.2616] }
      : { mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762] };
  return corruptionSet(
    {
      id: v.id,
      clean: v.clean,
      version: `${v.id}-npy-${v.md5.slice(0, 8)}`,
      classNames,
      inputShape: [32, 32, 3],
      ...clean,
      source: src,
      folder: datasetFolder(src, opts),
      corruptions: BENCHMARK_CORRUPTIONS,
      extraCorruptions: EXTRA_CORRUPTIONS,
      async loadOne(corruption, severity) {
        const dir = join(await ensureFiles(v.id, src, [v.top], opts), v.top);
        try {
          return readCifarC(dir, corruption, severity);
        } catch (err) {
          throw new Error(`${v.id}: ${(err as Error).message}`);
        }
      },
      async prepare() {
        await ensureFiles(v.id, src, [v.top], opts);
      },
    },
    selected,
  );
}

export function cifar10c(opts: LoadOptions = {}, selected?: Selection): CorruptionDataset {
  return makeCifarC(VARIANTS['cifar10-c'], opts, selected);
}

export function cifar100c(opts: LoadOptions = {}, selected?: Selection): CorruptionDataset {
  return makeCifarC(VARIANTS['cifar100-c'], opts, selected);
}
