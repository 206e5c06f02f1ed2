/**
 * @module Load speed per dataset format (images/second, MB/second of decoded uint8), measured with
 * tinybench on small files written in each real format into a temporary folder (the writers of
 * datasets/formats/writers.ts): CIFAR binary, MAT v5 (miCOMPRESSED, SVHN layout), NPY rows
 * (CIFAR-C), PPM + ROI crop + resize (GTSRB), JPEG decode (Tiny-ImageNet 64x64, Caltech-size
 * 300x200 → 64x64), and a split-cache read of CIFAR-10's test size (10,000 images).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench } from 'tinybench';
import { parseCifarBinary } from '../../../datasets/formats/cifar-binary.ts';
import { decodeJpegSync, jpegDecoder } from '../../../datasets/formats/jpeg.ts';
import { readNpyRows } from '../../../datasets/formats/npy.ts';
import { parsePpm } from '../../../datasets/formats/ppm.ts';
import { toColumnMajor, writeJpeg, writeMatV5, writeNpy, writePpm } from '../../../datasets/formats/writers.ts';
import { centerSquare, crop, resizeBilinear } from '../../../datasets/resize.ts';
import { readCachedSplit, writeCachedSplit } from '../../../datasets/split-cache.ts';
import { svhnFromMat } from '../../../datasets/svhn.ts';

export interface FormatRow {
  format: string;
  images: number;
  imagesPerSecond: number;
  mbPerSecond: number;
  msPerLoad: number;
  samples: number;
}

function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

/** A smooth image (JPEG-like content, so JPEG sizes are realistic). */
function smooth(w: number, h: number, seed: number): Uint8Array {
  const rgb = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        rgb[(y * w + x) * 3 + c] = Math.round(127 + 100 * Math.sin((x + seed) / (7 + c) + y / (11 - c)));
      }
  return rgb;
}

export async function benchDatasetFormats({ time }: { time: number }): Promise<FormatRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'rftbench-bench-formats-'));
  try {
    const codec = await jpegDecoder();
    // CIFAR binary: 1000 records.
    const cifarN = 1000;
    const cifar = new Uint8Array(cifarN * 3073);
    cifar.set(noise(cifar.length, 1));
    writeFileSync(join(dir, 'c.bin'), cifar);
    // MAT v5, compressed, SVHN layout: 1000 images.
    const matN = 1000;
    const nhwc = noise(matN * 3072, 2);
    writeFileSync(
      join(dir, 's.mat'),
      writeMatV5(
        [
          { name: 'X', className: 'uint8', dims: [32, 32, 3, matN], values: toColumnMajor(nhwc, matN, 32, 32, 3) },
          {
            name: 'y',
            className: 'double',
            storage: 'uint8',
            dims: [matN, 1],
            values: Array.from({ length: matN }, (_, i) => (i % 10) + 1),
          },
        ],
        { compress: true },
      ),
    );
    // NPY: 5 severities x 1000 rows, read one severity.
    const npyPer = 1000;
    writeFileSync(join(dir, 'fog.npy'), writeNpy('|u1', [5 * npyPer, 32, 32, 3], noise(5 * npyPer * 3072, 3)));
    // PPM: 100 GTSRB-like signs of ~50x50 with an ROI.
    const ppmN = 100;
    for (let i = 0; i < ppmN; i++)
      writeFileSync(join(dir, `${i}.ppm`), writePpm(50 + (i % 10), 52, noise((50 + (i % 10)) * 52 * 3, i)));
    // JPEG: 100 of 64x64 and 50 of 300x200.
    const tinyN = 100;
    const bigN = 50;
    for (let i = 0; i < tinyN; i++)
      writeFileSync(join(dir, `t${i}.jpg`), await writeJpeg(64, 64, smooth(64, 64, i), { quality: 90 }));
    for (let i = 0; i < bigN; i++)
      writeFileSync(join(dir, `b${i}.jpg`), await writeJpeg(300, 200, smooth(300, 200, i), { quality: 90 }));
    // Split cache: CIFAR-10 test size.
    const cacheKey = { folder: join(dir, 'cache-ds'), version: 'bench', split: 'test' };
    writeCachedSplit(
      cacheKey,
      { images: noise(10000 * 3072, 4), labels: new Int32Array(10000), n: 10000, shape: [32, 32, 3] },
      [],
    );

    const cases: { name: string; images: number; bytesOut: number; fn: () => void }[] = [
      {
        name: 'CIFAR binary (1000 records)',
        images: cifarN,
        bytesOut: cifarN * 3072,
        fn: () => void parseCifarBinary(readFileSync(join(dir, 'c.bin')), 1, 'c.bin'),
      },
      {
        name: 'MAT v5 compressed, SVHN layout (1000)',
        images: matN,
        bytesOut: matN * 3072,
        fn: () => void svhnFromMat(readFileSync(join(dir, 's.mat')), 's.mat'),
      },
      {
        name: 'NPY rows, one CIFAR-C severity (1000)',
        images: npyPer,
        bytesOut: npyPer * 3072,
        fn: () => void readNpyRows(join(dir, 'fog.npy'), 2 * npyPer, npyPer),
      },
      {
        name: 'PPM + ROI crop + resize 32 (100)',
        images: ppmN,
        bytesOut: ppmN * 3072,
        fn: () => {
          for (let i = 0; i < ppmN; i++)
            resizeBilinear(crop(parsePpm(readFileSync(join(dir, `${i}.ppm`)), 'x.ppm'), 5, 5, 44, 46), 32, 32);
        },
      },
      {
        name: 'JPEG 64x64 decode (100)',
        images: tinyN,
        bytesOut: tinyN * 12288,
        fn: () => {
          for (let i = 0; i < tinyN; i++) decodeJpegSync(codec, readFileSync(join(dir, `t${i}.jpg`)), 'x.jpg');
        },
      },
      {
        name: 'JPEG 300x200 decode + crop + resize 64 (50)',
        images: bigN,
        bytesOut: bigN * 12288,
        fn: () => {
          for (let i = 0; i < bigN; i++)
            resizeBilinear(centerSquare(decodeJpegSync(codec, readFileSync(join(dir, `b${i}.jpg`)), 'x.jpg')), 64, 64);
        },
      },
      {
        name: 'split cache read (10000 x 32x32x3)',
        images: 10000,
        bytesOut: 10000 * 3072,
        fn: () => void readCachedSplit(cacheKey),
      },
    ];
    const bench = new Bench({
      name: 'dataset formats',
      time,
      warmup: true,
      warmupIterations: 1,
      warmupTime: 0,
      iterations: 3,
      throws: true,
    });
    for (const c of cases) bench.add(c.name, c.fn);
    await bench.run();
    const rows: FormatRow[] = [];
    for (const task of bench.tasks) {
      const r = task.result;
      if (r.state !== 'completed') continue;
      const c = cases.find((k) => k.name === task.name)!;
      const seconds = r.latency.mean / 1000;
      rows.push({
        format: c.name,
        images: c.images,
        imagesPerSecond: c.images / seconds,
        mbPerSecond: c.bytesOut / 1e6 / seconds,
        msPerLoad: r.latency.mean,
        samples: r.latency.samplesCount,
      });
    }
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
