import { existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIdx } from '../../datasets/formats/idx.ts';
import { DEBIAN_DIR, fashionMnist } from '../../datasets/fashion-mnist.ts';
import { getDataset } from '../../datasets/registry.ts';
import { batchIndices, toBatch } from '../../datasets/batches.ts';
import { downloadVerified, digest } from '../../datasets/download.ts';
import { Rng } from '../../harness/foundation/rng.ts';
import { useCpuBackend } from '../support/tf.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-data-'));
beforeAll(useCpuBackend);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function idx(dims: number[], data: number[]): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(data)]);
}

describe('IDX format', () => {
  it('parses raw and gzipped files', () => {
    const raw = idx([2, 2, 3], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const bytes of [raw, gzipSync(raw)]) {
      const a = parseIdx(bytes, 'x.idx');
      expect(a.dims).toEqual([2, 2, 3]);
      expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    }
  });

  it('names the file and the problem on bad input', () => {
    expect(() => parseIdx(Buffer.from([1, 2, 3, 4]), 'bad.idx')).toThrow('bad.idx: not an IDX file (bad magic)');
    expect(() => parseIdx(idx([3, 2], [1, 2, 3]), 'short.idx')).toThrow(
      'short.idx: IDX data has 3 bytes but dimensions [3, 2] need 6',
    );
    expect(() => parseIdx(Buffer.from([0x1f, 0x8b, 0, 0]), 'broken.gz')).toThrow(/broken.gz: corrupt gzip stream/);
  });
});

describe.skipIf(!existsSync(DEBIAN_DIR))('Fashion-MNIST (real files from Debian dataset-fashion-mnist)', () => {
  it('loads the verified test split: 10000 images, 1000 per class, known first labels', async () => {
    const ds = fashionMnist({ dataDir: dir, download: false });
    const test = await ds.load('test');
    expect(test.n).toBe(10000);
    expect(test.shape).toEqual([28, 28, 1]);
    const counts = new Array(10).fill(0);
    for (const y of test.labels) counts[y]++;
    expect(counts).toEqual(new Array(10).fill(1000));
    // The canonical t10k labels start 9 (ankle boot), 2, 1, 1, 6.
    expect(Array.from(test.labels.subarray(0, 5))).toEqual([9, 2, 1, 1, 6]);
  });

  it('class split keeps only the chosen classes, relabelled in order', async () => {
    const target = getDataset('fashion-mnist[5-9]', { dataDir: dir, download: false });
    expect(target.classNames).toEqual(['Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
    const test = await target.load('test');
    expect(test.n).toBe(5000);
    expect(Math.max(...test.labels)).toBe(4);
    expect(test.labels[0]).toBe(4); // the first test image, an ankle boot (9), becomes 4
  });

  it('rejects a corrupted local copy, naming the file', async () => {
    const local = join(dir, 'corrupt', 'fashion-mnist');
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, 't10k-labels-idx1-ubyte'), idx([3], [1, 2, 3]));
    const ds = fashionMnist({ dataDir: join(dir, 'corrupt'), download: false });
    await expect(ds.load('test')).rejects.toThrow(/t10k-images-idx3-ubyte|t10k-labels-idx1-ubyte.*md5/);
  });
});

describe('batching', () => {
  it('visits every index once per epoch in a seeded order, and makes [0,1] tensors', async () => {
    const seen = [...batchIndices(10, { batchSize: 4, rng: new Rng(3) })].flatMap((b) => Array.from(b));
    expect(seen.slice().sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect([...batchIndices(10, { batchSize: 4, rng: new Rng(3) })].flatMap((b) => Array.from(b))).toEqual(seen);
    expect([...batchIndices(10, { batchSize: 4, limit: 6 })].map((b) => Array.from(b))).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ]);
    const split = {
      images: Uint8Array.from([0, 255, 51, 102]),
      labels: Int32Array.from([1, 0]),
      n: 2,
      shape: [1, 2, 1] as const,
    };
    const { x, y } = toBatch(split, [1, 0]);
    expect(Array.from(x.dataSync())).toEqual([0.2, 0.4, 0, 1].map((v) => Math.fround(v)));
    expect(Array.from(y.dataSync())).toEqual([0, 1]);
    tf.dispose([x, y]);
  });
});

describe('verified downloads (local server on 127.0.0.1)', () => {
  let server: Server;
  let base = '';
  const good = Buffer.from('the real bytes');
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/good') res.end(good);
      else if (req.url === '/corrupt') res.end(Buffer.from('other bytes!!!'));
      else if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': '1000' });
        res.write(good);
        setTimeout(() => res.destroy(), 20);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => server.close());

  it('writes the file only after its checksum matches; leaves nothing on failure', async () => {
    const dest = join(dir, 'dl', 'file.bin');
    const checksum = { algorithm: 'md5' as const, hex: digest(good, 'md5') };
    await expect(downloadVerified(`${base}/corrupt`, dest, checksum)).rejects.toThrow(
      /\/corrupt: md5 is [0-9a-f]+, expected/,
    );
    expect(existsSync(dest)).toBe(false);
    await expect(
      downloadVerified(`${base}/cut`, dest, checksum, { retries: 1, retryDelayMs: () => 0 }),
    ).rejects.toThrow(/\/cut/);
    expect(existsSync(dest)).toBe(false);
    await expect(downloadVerified(`${base}/missing`, dest, checksum)).rejects.toThrow(/HTTP 404/);
    await downloadVerified(`${base}/good`, dest, checksum);
    expect(existsSync(dest)).toBe(true);
    expect(readdirSync(join(dir, 'dl'))).toEqual(['file.bin']);
  });
});
