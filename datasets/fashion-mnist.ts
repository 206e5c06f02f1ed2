/**
 * @module Fashion-MNIST (Xiao et al. 2017), 28x28 grey, 10 classes, 60000/10000. Files are looked for
 * in `<data>/fashion-mnist/`, then in Debian's `dataset-fashion-mnist` package, then downloaded from
 * upstream. Checksums are of the DECOMPRESSED bytes: Debian re-gzipped the files, so the gz checksums
 * differ between the two sources while the contents are identical.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dataRoot } from './cache-dir.ts';
import { downloadVerified, verifyChecksum } from './download.ts';
import { parseIdx } from './formats/idx.ts';
import type { DatasetSource } from './sources.ts';
import type { DataSplit, Dataset, LoadOptions, SplitName } from './types.ts';

const UPSTREAM = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';
export const DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/** MD5 of the decompressed IDX files, computed from Debian's package (identical to upstream's contents). */
const FILES = {
  'train-images': { name: 'train-images-idx3-ubyte', md5: 'f4a8712d7a061bf5bd6d2ca38dc4d50a' },
  'train-labels': { name: 'train-labels-idx1-ubyte', md5: '9018921c3c673c538a1fc5bad174d6f9' },
  'test-images': { name: 't10k-images-idx3-ubyte', md5: '8181f5470baa50b63fa0f6fddb340f0a' },
  'test-labels': { name: 't10k-labels-idx1-ubyte', md5: '15d484375f8d13e6eb1aabb0c3f46965' },
} as const;

export const FASHION_MNIST_CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

type FileKey = keyof typeof FILES;

/** The four upstream files, for `rftbench datasets verify` (checksums of the decompressed bytes). */
export const FASHION_MNIST_SOURCE: DatasetSource = {
  folderName: 'fashion-mnist',
  files: Object.values(FILES).map((f) => ({
    name: `${f.name}.gz`,
    url: `${UPSTREAM}${f.name}.gz`,
    checksum: { algorithm: 'md5' as const, hex: f.md5, ofDecompressed: true },
    provides: [`${f.name}.gz`],
  })),
};

async function readVerified(key: FileKey, opts: LoadOptions): Promise<Uint8Array> {
  const { name, md5 } = FILES[key];
  const own = join(dataRoot(opts), 'fashion-mnist');
  const candidates = [join(own, `${name}.gz`), join(own, name), join(DEBIAN_DIR, `${name}.gz`), join(DEBIAN_DIR, name)];
  const checksum = { algorithm: 'md5' as const, hex: md5, ofDecompressed: true };
  const gunzipIfNeeded = (b: Uint8Array) => (b[0] === 0x1f && b[1] === 0x8b ? gunzipSync(b) : b);
  for (const file of candidates) {
    if (!existsSync(file)) continue;
    const bytes = readFileSync(file);
    verifyChecksum(bytes, checksum, file, gunzipIfNeeded);
    return bytes;
  }
  if (opts.download === false) {
    throw new Error(
      `fashion-mnist: ${name} not found in ${own} or ${DEBIAN_DIR}, and downloads are off (apt-get install dataset-fashion-mnist)`,
    );
  }
  return downloadVerified(`${UPSTREAM}${name}.gz`, join(own, `${name}.gz`), checksum, { decompress: gunzipIfNeeded });
}

async function loadSplit(split: SplitName, opts: LoadOptions): Promise<DataSplit> {
  const prefix = split === 'train' ? 'train' : 'test';
  const images = parseIdx(await readVerified(`${prefix}-images`, opts), FILES[`${prefix}-images`].name);
  const labels = parseIdx(await readVerified(`${prefix}-labels`, opts), FILES[`${prefix}-labels`].name);
  const [n, h, w] = images.dims;
  if (images.dims.length !== 3 || labels.dims.length !== 1 || labels.dims[0] !== n) {
    throw new Error(`fashion-mnist ${split}: images [${images.dims}] and labels [${labels.dims}] do not match`);
  }
  return { images: images.data, labels: Int32Array.from(labels.data), n, shape: [h, w, 1] };
}

export function fashionMnist(opts: LoadOptions = {}): Dataset {
  const cache = new Map<SplitName, Promise<DataSplit>>();
  return {
    id: 'fashion-mnist',
    version: `fashion-mnist-v1-${FILES['train-images'].md5.slice(0, 8)}-${FILES['test-images'].md5.slice(0, 8)}`,
    classNames: FASHION_MNIST_CLASSES,
    inputShape: [28, 28, 1],
    mean: [0.286],
    std: [0.353],
    source: FASHION_MNIST_SOURCE,
    folder: join(dataRoot(opts), 'fashion-mnist'),
    load(split) {
      let p = cache.get(split);
      if (!p) {
        p = loadSplit(split, opts);
        cache.set(split, p);
      }
      return p;
    },
  };
}
