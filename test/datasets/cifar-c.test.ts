/**
 * NPY reader (v1 and v2 headers) and CIFAR-10-C / CIFAR-100-C on .npy files written by the test:
 * severity rows, the `cifar10-c:<corruption>:<severity>` ids, class splits of them, and bad input.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cifar10c } from '../../datasets/cifar-c.ts';
import { parseNpy, readNpyRows } from '../../datasets/formats/npy.ts';
import { getCorruptionDataset, getDataset } from '../../datasets/registry.ts';
import { isCorruptionDataset } from '../../datasets/types.ts';
import { writeNpy } from '../../datasets/formats/writers.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-cifarc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('NPY reader', () => {
  it('reads v1 and v2 headers, uint8 and int64 data', () => {
    for (const version of [1, 2] as const) {
      const u8 = writeNpy('|u1', [2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]), version);
      const a = parseNpy(u8, 'a.npy');
      expect(a.header.shape).toEqual([2, 3]);
      expect(a.header.dataOffset % 64).toBe(0);
      expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
      const i8 = writeNpy('<i8', [3], new Uint8Array(BigInt64Array.from([7n, -1n, 99n]).buffer), version);
      expect(Array.from(parseNpy(i8, 'b.npy').data)).toEqual([7, -1, 99]);
    }
  });

  it('reads a row range from disk without reading the rest', () => {
    const file = join(dir, 'rows.npy');
    writeFileSync(
      file,
      writeNpy(
        '|u1',
        [4, 2, 2],
        Uint8Array.from({ length: 16 }, (_, i) => i),
        2,
      ),
    );
    const { header, bytes } = readNpyRows(file, 1, 2);
    expect(header.shape).toEqual([4, 2, 2]);
    expect(Array.from(bytes)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('names the file and the problem on bad input', () => {
    const good = writeNpy('|u1', [2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6]));
    expect(() => parseNpy(good.subarray(0, good.length - 2), 'cut.npy')).toThrow(
      'cut.npy: truncated: shape (2, 3) needs 6 data bytes, the file has 4',
    );
    expect(() => parseNpy(good.subarray(0, 30), 'head.npy')).toThrow(/^head\.npy: truncated \.npy header/);
    expect(() => parseNpy(Buffer.from('PK\x03\x04 not numpy'), 'zip.npy')).toThrow(
      'zip.npy: not a .npy file (bad magic)',
    );
    const fortran = Buffer.from(
      good.toString('latin1').replace("'fortran_order': False", "'fortran_order': True "),
      'latin1',
    );
    expect(() => parseNpy(fortran, 'f.npy')).toThrow('f.npy: Fortran-order arrays are not supported');
    expect(() => parseNpy(writeNpy('<c16', [1], new Uint8Array(16)), 'c.npy')).toThrow(
      "c.npy: unsupported dtype '<c16'",
    );
    const file = join(dir, 'short.npy');
    writeFileSync(file, good.subarray(0, good.length - 1));
    expect(() => readNpyRows(file, 0, 1)).toThrow(`${file}: truncated: shape (2, 3) needs`);
  });
});

describe('CIFAR-10-C loader', () => {
  // 5 severities x 4 images; pixel value = global row index, labels 0..3 repeated per severity.
  const per = 4;
  const data = join(dir, 'data');
  const folder = join(data, 'cifar10-c', 'CIFAR-10-C');
  mkdirSync(folder, { recursive: true });
  const images = new Uint8Array(5 * per * 3072);
  for (let r = 0; r < 5 * per; r++) images.fill(r * 10, r * 3072, (r + 1) * 3072);
  writeFileSync(join(folder, 'gaussian_noise.npy'), writeNpy('|u1', [5 * per, 32, 32, 3], images, 1));
  writeFileSync(join(folder, 'fog.npy'), writeNpy('|u1', [5 * per, 32, 32, 3], images, 2));
  const labels = Array.from({ length: 5 * per }, (_, i) => [3, 8, 0, 5][i % per]);
  writeFileSync(join(folder, 'labels.npy'), writeNpy('|u1', [5 * per], Uint8Array.from(labels)));

  it('loadCorrupted returns the rows of one severity with their labels', async () => {
    const ds = getCorruptionDataset('cifar10-c', { dataDir: data, download: false });
    expect(ds.corruptions).toHaveLength(15);
    expect(ds.extraCorruptions).toEqual(['speckle_noise', 'gaussian_blur', 'spatter', 'saturate']);
    expect(ds.clean).toBe('cifar10');
    const s3 = await ds.loadCorrupted('gaussian_noise', 3);
    expect(s3.n).toBe(per);
    expect(s3.shape).toEqual([32, 32, 3]);
    expect(Array.from(s3.labels)).toEqual([3, 8, 0, 5]);
    expect([s3.images[0], s3.images[3072], s3.images[4 * 3072 - 1]]).toEqual([80, 90, 110]);
    const fog5 = await ds.loadCorrupted('fog', 5); // v2 header
    expect(fog5.images[0]).toBe(160);
  });

  it('an id selects one split: cifar10-c:gaussian_noise:1, and class splits of it', async () => {
    const ds = getDataset('cifar10-c:gaussian_noise:1', { dataDir: data, download: false });
    expect(ds.id).toBe('cifar10-c:gaussian_noise:1');
    expect(ds.version).toBe('cifar10-c-npy-56bf5dce/gaussian_noise-1');
    const s = await ds.load('test');
    expect(s.images[0]).toBe(0);
    await expect(ds.load('train')).rejects.toThrow(
      "cifar10-c: corrupted sets have only a test split (train on 'cifar10')",
    );
    const half = getDataset('cifar10-c:gaussian_noise:2[0-4]', { dataDir: data, download: false });
    expect(half.classNames).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer']);
    const h = await half.load('test');
    expect(Array.from(h.labels)).toEqual([3, 0]); // classes 3 and 0 kept, 8 and 5 dropped
    expect(isCorruptionDataset(half)).toBe(true);
    if (isCorruptionDataset(half)) expect(Array.from((await half.loadCorrupted('fog', 1)).labels)).toEqual([3, 0]);
  });

  it('unknown corruption, bad severity, missing file, no selection', async () => {
    expect(() => getDataset('cifar10-c:gausian_noise:3')).toThrow(
      /Unknown cifar10-c corruption 'gausian_noise'\. Did you mean: gaussian_noise/,
    );
    expect(() => getDataset('cifar10-c:fog:6')).toThrow('cifar10-c: severity 6 is not one of 1, 2, 3, 4, 5');
    expect(() => getDataset('svhn:fog:1')).toThrow(/only corrupted sets .* take ':<corruption>:<severity>'/);
    const ds = cifar10c({ dataDir: data, download: false });
    await expect(ds.loadCorrupted('snow', 1)).rejects.toThrow(`cifar10-c: missing ${join(folder, 'snow.npy')}`);
    await expect(ds.load('test')).rejects.toThrow(
      "cifar10-c: choose a corruption and severity, e.g. 'cifar10-c:gaussian_noise:3'",
    );
    await expect(cifar10c({ dataDir: join(dir, 'none'), download: false }).loadCorrupted('fog', 1)).rejects.toThrow(
      /cifar10-c: .*CIFAR-10-C does not exist and downloads are off/,
    );
  });

  it('a truncated corruption file names the file', async () => {
    const bad = join(dir, 'bad', 'cifar10-c', 'CIFAR-10-C');
    mkdirSync(bad, { recursive: true });
    const full = writeNpy('|u1', [5 * per, 32, 32, 3], images);
    writeFileSync(join(bad, 'contrast.npy'), full.subarray(0, full.length - 3072));
    writeFileSync(join(bad, 'labels.npy'), writeNpy('|u1', [5 * per], Uint8Array.from(labels)));
    await expect(cifar10c({ dataDir: join(dir, 'bad'), download: false }).loadCorrupted('contrast', 1)).rejects.toThrow(
      `cifar10-c: ${join(bad, 'contrast.npy')}: truncated`,
    );
  });
});
