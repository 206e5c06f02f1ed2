/**
 * MAT v5 reader and the SVHN loader on MAT-files written by the test (plain and miCOMPRESSED), the
 * split cache, and bad input: truncated files, wrong magic, a corrupt zlib stream, a checksum
 * mismatch on the real download path (a 127.0.0.1 server as mirror), a missing folder.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMatV5 } from '../../datasets/formats/mat-v5.ts';
import { getDataset } from '../../datasets/registry.ts';
import { cachePaths } from '../../datasets/split-cache.ts';
import { svhn, svhnFromMat } from '../../datasets/svhn.ts';
import { toColumnMajor, writeMatV5 } from '../../datasets/formats/writers.ts';
import { serveFiles } from '../support/file-server.ts';
import { CIFAR10_FIRST100 as REAL } from '../support/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-svhn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** NHWC pixels that differ in every index, so any transposition error shows. */
function pattern(n: number, h: number, w: number, c: number): Uint8Array {
  const out = new Uint8Array(n * h * w * c);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) {
          out[((i * h + y) * w + x) * c + k] = (i * 61 + y * 7 + x * 13 + k * 101) % 256;
        }
  return out;
}

function svhnMat(
  n: number,
  h: number,
  w: number,
  labels: number[],
  compress: boolean,
  labelStorage: 'uint8' | 'double' = 'double',
): { bytes: Buffer; nhwc: Uint8Array } {
  const nhwc = pattern(n, h, w, 3);
  const bytes = writeMatV5(
    [
      { name: 'X', className: 'uint8', dims: [h, w, 3, n], values: toColumnMajor(nhwc, n, h, w, 3) },
      { name: 'y', className: 'double', storage: labelStorage, dims: [n, 1], values: labels },
    ],
    { compress },
  );
  return { bytes, nhwc };
}

describe('MAT v5 reader', () => {
  it('reads uncompressed and miCOMPRESSED files alike: names, classes, dims, values', () => {
    for (const compress of [false, true]) {
      const vars = parseMatV5(
        writeMatV5(
          [
            { name: 'a', className: 'double', dims: [2, 3], values: [1, 2, 3, 4, 5, 6.5] },
            { name: 'long_name', className: 'uint8', dims: [1, 5], values: [9, 8, 7, 6, 5] },
            { name: 'q', className: 'double', storage: 'uint8', dims: [1, 2], values: [10, 3] },
          ],
          { compress },
        ),
        'x.mat',
      );
      expect([...vars.keys()]).toEqual(['a', 'long_name', 'q']);
      expect(vars.get('a')!.className).toBe('double');
      expect(vars.get('a')!.dims).toEqual([2, 3]);
      expect(Array.from(vars.get('a')!.data)).toEqual([1, 2, 3, 4, 5, 6.5]);
      expect(vars.get('long_name')!.data).toBeInstanceOf(Uint8Array);
      expect(Array.from(vars.get('q')!.data)).toEqual([10, 3]);
    }
    // Bytes at an odd offset inside a larger buffer (as file reads can give): doubles must still read.
    const odd = Buffer.concat([
      Buffer.alloc(1),
      writeMatV5([{ name: 'd', className: 'double', dims: [1, 2], values: [0.25, -3] }]),
    ]).subarray(1);
    expect(Array.from(parseMatV5(odd, 'odd.mat').get('d')!.data)).toEqual([0.25, -3]);
  });

  it('SVHN layout: column-major X [H,W,3,N] becomes NHWC, label 10 becomes 0', () => {
    for (const compress of [false, true]) {
      // A non-square size catches a swapped row/column.
      const { bytes, nhwc } = svhnMat(3, 4, 5, [10, 1, 9], compress, compress ? 'uint8' : 'double');
      const s = svhnFromMat(bytes, 'x.mat');
      expect(s.shape).toEqual([4, 5, 3]);
      expect(s.n).toBe(3);
      expect(Array.from(s.labels)).toEqual([0, 1, 9]);
      expect(Buffer.from(s.images).equals(Buffer.from(nhwc))).toBe(true);
    }
  });

  it('names the file and the problem on bad input', () => {
    const { bytes } = svhnMat(2, 4, 4, [1, 2], false);
    expect(() => parseMatV5(bytes.subarray(0, 100), 'short.mat')).toThrow(
      'short.mat: truncated MAT header (100 of 128 bytes)',
    );
    expect(() => parseMatV5(bytes.subarray(0, bytes.length - 50), 'cut.mat')).toThrow(
      /^cut\.mat: truncated: element at byte \d+ declares \d+ bytes, only \d+ remain/,
    );
    const wrong = Buffer.from(bytes);
    wrong.write('HELLO', 0, 'latin1');
    expect(() => parseMatV5(wrong, 'wrong.mat')).toThrow('wrong.mat: not a MATLAB v5 MAT-file (bad header)');
    const hdf = Buffer.from(bytes);
    hdf.write('MATLAB 7.3 MAT-file', 0, 'latin1');
    expect(() => parseMatV5(hdf, 'v73.mat')).toThrow(/v73\.mat: MATLAB 7\.3 \(HDF5\) files are not supported/);
    const z = Buffer.from(svhnMat(2, 4, 4, [1, 2], true).bytes);
    z.fill(0x55, 140, 160); // inside the zlib stream
    expect(() => parseMatV5(z, 'z.mat')).toThrow(/^z\.mat: corrupt compressed element at byte 128/);
    const noY = writeMatV5([{ name: 'X', className: 'uint8', dims: [1, 1, 3, 1], values: [1, 2, 3] }]);
    expect(() => svhnFromMat(noY, 'noy.mat')).toThrow("noy.mat: no variable 'y' (found: X)");
    expect(() => svhnFromMat(svhnMat(2, 4, 4, [1, 11], false).bytes, 'lab.mat')).toThrow(
      'lab.mat: label 11 at index 1 is not 0..10',
    );
  });
});

describe('SVHN loader', () => {
  const data = join(dir, 'local');
  const folder = join(data, 'svhn');
  const { bytes: testMat, nhwc } = svhnMat(6, 32, 32, [10, 1, 2, 3, 4, 5], true);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'test_32x32.mat'), testMat);
  writeFileSync(join(folder, 'train_32x32.mat'), svhnMat(4, 32, 32, [7, 8, 9, 10], false).bytes);

  it('loads a local folder, then the second load comes from the cache file with identical bytes', async () => {
    const lines: string[] = [];
    const first = await svhn({ dataDir: data, download: false, log: (l) => lines.push(l) }).load('test');
    expect(first.n).toBe(6);
    expect(Array.from(first.labels)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(Buffer.from(first.images).equals(Buffer.from(nhwc))).toBe(true);
    const ds = svhn({ dataDir: data, download: false });
    const cache = cachePaths({ folder, version: ds.version, split: 'test' });
    expect(lines).toContain(`cache: wrote ${cache.data}`);
    expect(existsSync(cache.index)).toBe(true);

    // A fresh instance (no in-memory copy) with the source file gone: only the cache can answer.
    rmSync(join(folder, 'test_32x32.mat'));
    const hits: string[] = [];
    const second = await svhn({ dataDir: data, download: false, log: (l) => hits.push(l) }).load('test');
    expect(hits).toEqual([`cache: test from ${cache.data}`]);
    expect(Buffer.from(second.images).equals(Buffer.from(first.images))).toBe(true);
    expect(Array.from(second.labels)).toEqual(Array.from(first.labels));
    writeFileSync(join(folder, 'test_32x32.mat'), testMat);

    // A cut cache file (say, a full disk) is not trusted: the entry is rebuilt from the source.
    writeFileSync(cache.data, readFileSync(cache.data).subarray(0, 1000));
    const rebuilt: string[] = [];
    const third = await svhn({ dataDir: data, download: false, log: (l) => rebuilt.push(l) }).load('test');
    expect(rebuilt[0]).toBe(
      `cache: rebuilding test (${cache.data} has 1000 bytes, the index says ${6 * 3072 + 6 * 4})`,
    );
    expect(Buffer.from(third.images).equals(Buffer.from(nhwc))).toBe(true);
    expect(readdirSync(cache.dir).sort()).toEqual(['test.json', 'test.u8']); // no temporary files left
  });

  it('rebuilds an entry whose source changed, and class splits work (svhn[0-4])', async () => {
    const s = await getDataset('svhn[0-4]', { dataDir: data, download: false }).load('train');
    // Train labels 7 8 9 0: only the 0 (from 10) is in classes 0-4.
    expect(s.n).toBe(1);
    writeFileSync(join(folder, 'train_32x32.mat'), svhnMat(2, 32, 32, [1, 2], false).bytes);
    const lines: string[] = [];
    const again = await svhn({ dataDir: data, download: false, log: (l) => lines.push(l) }).load('train');
    expect(again.n).toBe(2);
    expect(lines[0]).toMatch(
      /^cache: rebuilding train \(source .*train_32x32\.mat changed since the cache was built\)/,
    );
  });

  it('a truncated file fails naming it, and nothing is written to the cache', async () => {
    const bad = join(dir, 'bad');
    mkdirSync(join(bad, 'svhn'), { recursive: true });
    writeFileSync(join(bad, 'svhn', 'test_32x32.mat'), testMat.subarray(0, testMat.length - 200));
    await expect(svhn({ dataDir: bad, download: false }).load('test')).rejects.toThrow(
      `${join(bad, 'svhn', 'test_32x32.mat')}: truncated`,
    );
    expect(existsSync(join(bad, 'svhn', 'cache'))).toBe(false);
  });

  it('a missing folder with downloads off names the path', async () => {
    await expect(svhn({ dataDir: join(dir, 'none'), download: false }).load('train')).rejects.toThrow(
      `svhn: ${join(dir, 'none', 'svhn', 'train_32x32.mat')} does not exist and downloads are off`,
    );
  });

  it('a download whose MD5 does not match is refused and leaves nothing behind', async () => {
    const server = await serveFiles({ '/test_32x32.mat': testMat });
    try {
      const root = join(dir, 'dl');
      await expect(svhn({ dataDir: root, mirror: server.url }).load('test')).rejects.toThrow(
        new RegExp(
          `download ${server.url}/test_32x32\\.mat: md5 is [0-9a-f]{32}, expected eb5a983be6a315427106f1b164d9cef3`,
        ),
      );
      expect(server.requests).toEqual(['/test_32x32.mat']);
      expect(readdirSync(join(root, 'svhn'))).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('CIFAR-10 split cache on the real records', () => {
  it('second load of the test split reads the cache file, bytes identical', async () => {
    const { cifar10 } = await import('../../datasets/cifar.ts');
    const data = join(dir, 'cifar');
    const folder = join(data, 'cifar10', 'cifar-10-batches-bin');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'test_batch.bin'), readFileSync(REAL));
    const first = await cifar10({ dataDir: data, download: false }).load('test');
    rmSync(join(folder, 'test_batch.bin'));
    const lines: string[] = [];
    const second = await cifar10({ dataDir: data, download: false, log: (l) => lines.push(l) }).load('test');
    expect(lines[0]).toMatch(/^cache: test from .*cifar10\/cache\/cifar10-bin-c32a1d4a\/test\.u8$/);
    expect(Buffer.from(second.images).equals(Buffer.from(first.images))).toBe(true);
    expect(Array.from(second.labels.subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    expect(Array.from(second.images.subarray(0, 3))).toEqual([158, 112, 49]);
  });
});
