import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cifar10, cifar100 } from '../../datasets/cifar.ts';
import { parseCifarBinary } from '../../datasets/formats/cifar-binary.ts';
import { CIFAR10_FIRST100 as REAL } from '../support/fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-cifar-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CIFAR binary format', () => {
  it('parses the real first 100 CIFAR-10 test records: labels and the first pixel', () => {
    const r = parseCifarBinary(readFileSync(REAL), 1, REAL);
    expect(r.n).toBe(100);
    expect(Array.from(r.labels[0].subarray(0, 10))).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    // NHWC: the first pixel's R, G, B are consecutive.
    expect(Array.from(r.images.subarray(0, 3))).toEqual([158, 112, 49]);
  });

  it('reads CIFAR-100 records with coarse and fine labels', () => {
    const rec = (coarse: number, fine: number, v: number) =>
      Uint8Array.from([coarse, fine, ...new Array(3072).fill(v)]);
    const bytes = Uint8Array.from([...rec(4, 30, 1), ...rec(19, 99, 2)]);
    const r = parseCifarBinary(bytes, 2, 'x.bin');
    expect(Array.from(r.labels[0])).toEqual([4, 19]);
    expect(Array.from(r.labels[1])).toEqual([30, 99]);
    expect(r.images[3072 * 1]).toBe(2);
  });

  it('names the file when the bytes are not whole records', () => {
    const bytes = readFileSync(REAL).subarray(0, 5000);
    expect(() => parseCifarBinary(bytes, 1, 'cut.bin')).toThrow(
      'cut.bin: 5000 bytes is not a whole number of 3073-byte CIFAR records',
    );
  });
});

describe('CIFAR-10 loader on a local folder', () => {
  it('loads the splits from <data>/cifar10/cifar-10-batches-bin', async () => {
    const folder = join(dir, 'cifar10', 'cifar-10-batches-bin');
    mkdirSync(folder, { recursive: true });
    copyFileSync(REAL, join(folder, 'test_batch.bin'));
    for (let i = 1; i <= 5; i++) copyFileSync(REAL, join(folder, `data_batch_${i}.bin`));
    const ds = cifar10({ dataDir: dir, download: false });
    const test = await ds.load('test');
    expect(test.n).toBe(100);
    expect(test.shape).toEqual([32, 32, 3]);
    expect(test.labels[1]).toBe(8);
    expect(ds.classNames[test.labels[0]]).toBe('cat');
    expect((await ds.load('train')).n).toBe(500);
  });

  it('says which folder is missing when downloads are off, and which file is missing', async () => {
    await expect(cifar100({ dataDir: join(dir, 'none'), download: false }).load('test')).rejects.toThrow(
      /cifar100: .*cifar-100-binary does not exist and downloads are off/,
    );
    const folder = join(dir, 'partial', 'cifar10', 'cifar-10-batches-bin');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'test_batch.bin'), readFileSync(REAL));
    await expect(cifar10({ dataDir: join(dir, 'partial'), download: false }).load('train')).rejects.toThrow(
      /missing .*data_batch_1\.bin/,
    );
  });
});
