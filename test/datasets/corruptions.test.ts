/**
 * Corruptions on the real CIFAR-10 test records: every implemented corruption at every severity keeps the
 * shape, is deterministic for a seed, changes the image, and grows with severity where the reference's does;
 * the deterministic ones match bytes computed once with the reference Python (hendrycks/robustness,
 * make_cifar_c.py, Debian skimage 0.19 / OpenCV 4.6 / Pillow 9.4); the generated `-c` variant of any
 * dataset is cached and reloads identically.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corrupt, IMPLEMENTED_CORRUPTIONS } from '../../datasets/corruptions/corruptions.ts';
import { frostTextures, type FrostFile, type Texture } from '../../datasets/corruptions/frost-textures.ts';
import { jpegCodec, type JpegCodec } from '../../datasets/corruptions/jpeg-codec.ts';
import { corruptSplit } from '../../datasets/corruptions/generated-set.ts';
import { getCorruptionDataset, getDataset } from '../../datasets/registry.ts';
import { Rng } from '../../harness/foundation/rng.ts';
import { CIFAR10_FIRST100 } from '../support/fixtures.ts';
import { writeJpeg } from '../../datasets/formats/writers.ts';

const file = CIFAR10_FIRST100;
const dir = mkdtempSync(join(tmpdir(), 'rftbench-corruptions-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Image i of the real records as HWC bytes. */
function image(i: number): Uint8Array {
  const rec = readFileSync(file).subarray(i * 3073 + 1, (i + 1) * 3073);
  const hwc = new Uint8Array(3072);
  for (let c = 0; c < 3; c++) for (let p = 0; p < 1024; p++) hwc[p * 3 + c] = rec[c * 1024 + p];
  return hwc;
}

const meanAbsChange = (a: Uint8Array, b: Uint8Array) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

// Mean pixel change is not monotone in severity in the reference either (REFERENCE.md): saturate's table goes
// 0.3, 0.1, 1.5 …; spatter switches from water to mud at severity 4; elastic's first severity is a pure affine warp that moves more pixels than the later ones.
const NOT_MONOTONE = new Set(['saturate', 'glass_blur', 'elastic_transform', 'spatter']);

// The real frost textures are not ours to commit (datasets/corruptions/frost-textures.ts): the tests make five in
// the same formats and sizes (three PNG, two JPEG), a smooth seeded pattern, and pass their checksums.
const FROST_SIZES: [string, number, number][] = [
  ['frost1.png', 900, 600],
  ['frost2.png', 560, 315],
  ['frost3.png', 560, 315],
  ['frost4.jpg', 525, 350],
  ['frost5.jpg', 660, 495],
];
const frostDir = join(dir, 'frost');

async function makeFrostTextures(): Promise<FrostFile[]> {
  mkdirSync(frostDir, { recursive: true });
  const files: FrostFile[] = [];
  for (const [i, [name, w, h]] of FROST_SIZES.entries()) {
    const rng = new Rng(1000 + i);
    const rgb = new Uint8Array(w * h * 3);
    const [fx, fy] = [rng.next() * 0.05, rng.next() * 0.05];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++)
        rgb.fill(Math.round(127 + 120 * Math.sin(fx * x) * Math.cos(fy * y)), (y * w + x) * 3, (y * w + x + 1) * 3);
    }
    const bytes = name.endsWith('.png') ? writePng(w, h, rgb) : await writeJpeg(w, h, rgb);
    writeFileSync(join(frostDir, name), bytes);
    files.push({ name, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  return files;
}

function writePng(w: number, h: number, rgb: Uint8Array): Buffer {
  const png = new PNG({ width: w, height: h });
  for (let p = 0; p < w * h; p++) png.data.set([rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], 255], p * 4);
  return PNG.sync.write(png);
}

describe('corruptions on real CIFAR-10 images', () => {
  const imgs = [0, 1, 2, 7].map(image);
  let frost: Texture[];
  let frostFiles: FrostFile[];
  let jpeg: JpegCodec;
  beforeAll(async () => {
    frostFiles = await makeFrostTextures();
    frost = await frostTextures(0.2, { frostDir, files: frostFiles, download: false });
    jpeg = await jpegCodec();
  });

  it('keep the shape, are deterministic for a seed, change the image, and grow with severity', () => {
    // The 15 benchmark corruptions and the 4 extra ones.
    expect(IMPLEMENTED_CORRUPTIONS.length).toBe(19);
    for (const name of IMPLEMENTED_CORRUPTIONS) {
      const change: number[] = [];
      for (let s = 1; s <= 5; s++) {
        let total = 0;
        for (const [i, img] of imgs.entries()) {
          const a = corrupt(name, img, [32, 32, 3], s, new Rng(100 + i), { frost, jpeg });
          const b = corrupt(name, img, [32, 32, 3], s, new Rng(100 + i), { frost, jpeg });
          expect(a, `${name} ${s}`).toBeInstanceOf(Uint8Array);
          expect(a.length).toBe(3072);
          expect(Array.from(a)).toEqual(Array.from(b));
          total += meanAbsChange(a, img);
        }
        expect(total, `${name} severity ${s} changes the image`).toBeGreaterThan(0);
        change.push(total);
      }
      if (!NOT_MONOTONE.has(name))
        expect(change[4], `${name}: severity 5 distorts more than 1`).toBeGreaterThan(change[0]);
    }
  });

  it('match the reference bytes for the deterministic corruptions', () => {
    // First 8 bytes of image 0 and 6 bytes at offset 500 of image 7, from the reference (see the file comment).
    const expected: [string, number, number[], number[]][] = [
      ['contrast', 3, [129, 111, 82, 129, 110, 81, 132, 112], [63, 87, 89, 60, 87, 90]],
      ['pixelate', 5, [156, 112, 47, 156, 112, 47, 162, 115], [59, 70, 77, 59, 70, 81]],
      ['gaussian_blur', 2, [157, 111, 48, 158, 111, 47, 163, 115], [58, 65, 72, 50, 70, 80]],
      ['brightness', 4, [209, 148, 64, 210, 146, 62, 216, 151], [103, 116, 128, 93, 114, 131]],
      ['defocus_blur', 5, [153, 110, 45, 156, 112, 46, 160, 113], [54, 65, 72, 48, 68, 79]],
      ['zoom_blur', 3, [154, 111, 44, 159, 112, 45, 164, 115], [52, 65, 73, 48, 68, 81]],
    ];
    for (const [name, s, first, at500] of expected) {
      const a = corrupt(name, image(0), [32, 32, 3], s, new Rng(0));
      const b = corrupt(name, image(7), [32, 32, 3], s, new Rng(0));
      // Within one grey level (float32 vs float64 rounding before truncation), as REFERENCE.md measures.
      Array.from(a.subarray(0, 8)).forEach((v, i) =>
        expect(Math.abs(v - first[i]), `${name} ${s} byte ${i}`).toBeLessThanOrEqual(1),
      );
      Array.from(b.subarray(500, 506)).forEach((v, i) =>
        expect(Math.abs(v - at500[i]), `${name} ${s} byte ${500 + i}`).toBeLessThanOrEqual(1),
      );
    }
  });

  it('name the bad input', () => {
    expect(() => corrupt('fogg', image(0), [32, 32, 3], 1, new Rng(0))).toThrow(
      /unknown or not yet implemented corruption 'fogg'/,
    );
    expect(() => corrupt('fog', image(0), [32, 32, 3], 6, new Rng(0))).toThrow(/severity must be 1..5/);
    expect(() => corrupt('fog', image(0), [32, 32, 2], 1, new Rng(0))).toThrow(/1 or 3 channels/);
    expect(() => corrupt('frost', image(0), [32, 32, 3], 1, new Rng(0))).toThrow(/no textures loaded/);
  });

  it('reads the frost textures from a folder (checked by sha256) and names a missing or changed one', async () => {
    expect(frost.map((t) => [t.w, t.h])).toEqual([
      [180, 120],
      [112, 63],
      [112, 63],
      [105, 70],
      [132, 99],
    ]);
    const changed = frostFiles.map((f, i) => (i === 3 ? { ...f, sha256: '0'.repeat(64) } : f));
    await expect(frostTextures(0.2, { frostDir, files: changed, download: false })).rejects.toThrow(
      /frost4\.jpg has sha256 [0-9a-f]{64}, expected 0{64}/,
    );
    await expect(frostTextures(0.2, { frostDir: join(dir, 'no-frost'), download: false })).rejects.toThrow(
      /no-frost\/frost1\.png is missing; put frost1\.png … frost5\.jpg in/,
    );
  });
});

describe('generated -c variants of any dataset', () => {
  it('corrupt grayscale images too, and cache each split so a reload is identical', async () => {
    const opts = { dataDir: dir, download: false };
    const set = getCorruptionDataset('synthetic-c', opts);
    expect(set.clean).toBe('synthetic');
    expect(set.corruptions).toContain('gaussian_noise');
    const a = await set.loadCorrupted('gaussian_noise', 5);
    const clean = await getDataset('synthetic', opts).load('test');
    expect(a.n).toBe(clean.n);
    expect(a.shape).toEqual(clean.shape);
    expect(Array.from(a.labels)).toEqual(Array.from(clean.labels));
    expect(meanAbsChange(a.images, clean.images)).toBeGreaterThan(10);
    expect(existsSync(join(dir, 'synthetic-c', 'cache'))).toBe(true);
    const again = await getDataset('synthetic-c:gaussian_noise:5', opts).load('test');
    expect(Buffer.from(again.images).equals(Buffer.from(a.images))).toBe(true);
    // The same split made directly (no cache) gives the same bytes: the cache stores what the code makes.
    expect(Buffer.from(corruptSplit(clean, 'gaussian_noise', 5).images).equals(Buffer.from(a.images))).toBe(true);
    expect(() => getDataset('synthetic-c:snoww:1', opts)).toThrow(/snoww/);
  });
});
