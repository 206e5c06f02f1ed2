/**
 * @module SVHN cropped digits (Netzer et al. 2011): `{train,test}_32x32.mat` (MATLAB v5, compressed)
 * in `<data>/svhn/`, placed by hand or downloaded with their MD5 verified. `X` is uint8 [32,32,3,N]
 * column-major; `y` is [N,1] with label 10 standing for digit 0, so labels are `y % 10`.
 * 73,257 train and 26,032 test images; the `extra` set is not used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMatV5 } from './formats/mat-v5.ts';
import { memoize } from './memo.ts';
import { type DatasetSource, datasetFolder, ensureFiles } from './sources.ts';
import { cachedSplit } from './split-cache.ts';
import type { DataSplit, Dataset, LoadOptions, SplitName } from './types.ts';

const BASE = 'http://ufldl.stanford.edu/housenumbers/';
const FILES: Record<SplitName, { name: string; md5: string; bytes: number }> = {
  train: { name: 'train_32x32.mat', md5: 'e26dedcc434d2e4c54c9b2d4a06d8373', bytes: 182_040_794 },
  test: { name: 'test_32x32.mat', md5: 'eb5a983be6a315427106f1b164d9cef3', bytes: 64_275_384 },
};

export const SVHN_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export const SVHN_SOURCE: DatasetSource = {
  folderName: 'svhn',
  files: Object.values(FILES).map((f) => ({
    name: f.name,
    url: BASE + f.name,
    checksum: { algorithm: 'md5', hex: f.md5 },
    bytes: f.bytes,
    provides: [f.name],
  })),
};

/** Converts SVHN's MAT variables to our NHWC split. Exported for tests and the bench. */
export function svhnFromMat(bytes: Uint8Array, file: string): DataSplit {
  const vars = parseMatV5(bytes, file);
  const X = vars.get('X');
  const y = vars.get('y');
  if (!X) throw new Error(`${file}: no variable 'X' (found: ${[...vars.keys()].join(', ') || 'none'})`);
  if (!y) throw new Error(`${file}: no variable 'y' (found: ${[...vars.keys()].join(', ') || 'none'})`);
  if (X.dims.length !== 4 || X.dims[2] !== 3)
    throw new Error(`${file}: X has dimensions [${X.dims.join(', ')}], expected [H, W, 3, N]`);
  const [h, w, c, n] = X.dims;
  if (y.data.length !== n) throw new Error(`${file}: y has ${y.data.length} labels but X has ${n} images`);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = y.data[i];
    if (!Number.isInteger(v) || v < 0 || v > 10) throw new Error(`${file}: label ${v} at index ${i} is not 0..10`);
    labels[i] = v % 10;
  }
  const src = X.data;
  const images = new Uint8Array(n * h * w * c);
  // Column-major (row fastest, then column, channel, image) to row-major NHWC.
  let at = 0;
  for (let img = 0; img < n; img++) {
    const base = img * h * w * c;
    for (let ch = 0; ch < c; ch++) {
      for (let col = 0; col < w; col++) {
        for (let row = 0; row < h; row++) images[base + (row * w + col) * c + ch] = src[at++];
      }
    }
  }
  return { images, labels, n, shape: [h, w, c] };
}

export function svhn(opts: LoadOptions = {}): Dataset {
  const folder = datasetFolder(SVHN_SOURCE, opts);
  const version = `svhn-mat-${FILES.train.md5.slice(0, 8)}-${FILES.test.md5.slice(0, 8)}`;
  const decode = async (split: SplitName) => {
    const dir = await ensureFiles('svhn', SVHN_SOURCE, [FILES[split].name], opts);
    const file = join(dir, FILES[split].name);
    if (!existsSync(file)) throw new Error(`svhn: missing ${file}`);
    return svhnFromMat(readFileSync(file), file);
  };
  return {
    id: 'svhn',
    version,
    classNames: SVHN_CLASSES,
    inputShape: [32, 32, 3],
    mean: [0.4377, 0.4438, 0.4728],
    std: [0.198, 0.201, 0.197],
    source: SVHN_SOURCE,
    folder,
    load: memoize((split: SplitName) =>
      cachedSplit(
        { folder, version, split },
        () => [join(folder, FILES[split].name)],
        () => decode(split),
        opts.log,
      ),
    ),
    async prepare() {
      await ensureFiles('svhn', SVHN_SOURCE, [FILES.train.name, FILES.test.name], opts);
    },
  };
}
