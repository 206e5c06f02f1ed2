/**
 * JPEG decoding and the JPEG-folder datasets (Caltech-256, Tiny-ImageNet, Tiny-ImageNet-C) on trees
 * of JPEGs encoded by the test with mozjpeg: seeded split, clutter handling, val annotations,
 * grayscale expansion, (corruption, severity) folders, the cache, and bad input.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caltech256, caltechSplitFiles, CALTECH256_DEFAULTS } from '../../datasets/caltech256.ts';
import { decodeJpeg } from '../../datasets/formats/jpeg.ts';
import { getDataset } from '../../datasets/registry.ts';
import { tinyImagenet } from '../../datasets/tiny-imagenet.ts';
import { tinyImagenetC } from '../../datasets/tiny-imagenet-c.ts';
import { writeJpeg } from '../../datasets/formats/writers.ts';
import { solid } from '../support/format-writers.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-jpeg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Colour per label, far apart so JPEG loss cannot confuse them. */
const colour = (label: number) => [(label * 67) % 256, (255 - label * 41) % 256, (label * 113 + 30) % 256];

function near(actual: ArrayLike<number>, expected: number[], tol = 6): boolean {
  return expected.every((v, i) => Math.abs(actual[i] - v) <= tol);
}

describe('JPEG decoding', () => {
  it('decodes colour and grayscale JPEGs to RGB', async () => {
    const rgb = await decodeJpeg(await writeJpeg(16, 8, solid(16, 8, [200, 40, 90])), 'c.jpg');
    expect([rgb.width, rgb.height, rgb.data.length]).toEqual([16, 8, 16 * 8 * 3]);
    expect(near(rgb.data, [200, 40, 90])).toBe(true);
    const gray = await decodeJpeg(await writeJpeg(8, 8, solid(8, 8, [120, 0, 0]), { gray: true }), 'g.jpg');
    for (let p = 0; p < 64; p++)
      expect([gray.data[3 * p + 1], gray.data[3 * p + 2]]).toEqual([gray.data[3 * p], gray.data[3 * p]]);
    expect(near(gray.data, [120, 120, 120], 2)).toBe(true);
  });

  it('names the file on a truncated or non-JPEG file', async () => {
    const jpg = await writeJpeg(16, 16, solid(16, 16, [1, 2, 3]));
    await expect(decodeJpeg(jpg.subarray(0, jpg.length / 2), 'half.jpg')).rejects.toThrow(
      /^half\.jpg: (truncated JPEG|cannot decode JPEG)/,
    );
    await expect(decodeJpeg(Buffer.from('GIF89a....'), 'x.jpg')).rejects.toThrow('x.jpg: not a JPEG file (bad magic)');
    // The codec still works after an error.
    expect((await decodeJpeg(jpg, 'ok.jpg')).width).toBe(16);
  });
});

describe('Caltech-256', () => {
  const data = join(dir, 'caltech');
  const root = join(data, 'caltech256', '256_ObjectCategories');
  beforeAll(async () => {
    const classes: [string, number, number][] = [
      ['001.ak47', 5, 0],
      ['002.american-flag', 4, 1],
      ['003.backpack', 6, 2],
      ['257.clutter', 3, 256],
    ];
    for (const [name, count, label] of classes) {
      mkdirSync(join(root, name), { recursive: true });
      for (let k = 0; k < count; k++) {
        // Non-square sizes: centre crop then resize.
        writeFileSync(
          join(root, name, `${name.slice(0, 3)}_${String(k + 1).padStart(4, '0')}.jpg`),
          await writeJpeg(40 + 4 * k, 24, solid(40 + 4 * k, 24, colour(label))),
        );
      }
    }
    writeFileSync(join(root, '002.american-flag', 'RENAME2'), 'stray');
    writeFileSync(join(root, 'RENAME2'), 'stray');
  });

  it('seeded per-class split, clutter excluded by default, names from folders', async () => {
    const o = { ...CALTECH256_DEFAULTS, size: 16, trainPerClass: 2 };
    const a = caltechSplitFiles(root, o);
    expect(a.train.map((f) => f.label)).toEqual([0, 0, 1, 1, 2, 2]);
    expect(a.test.map((f) => f.label)).toEqual([0, 0, 0, 1, 1, 2, 2, 2, 2]);
    expect(caltechSplitFiles(root, o)).toEqual(a); // same seed, same split
    const b = caltechSplitFiles(root, { ...o, seed: 1 });
    expect(b.train.map((f) => f.path)).not.toEqual(a.train.map((f) => f.path));
    expect(new Set([...a.train, ...a.test].map((f) => f.path)).size).toBe(15); // disjoint, all files, no RENAME2

    const ds = caltech256({ dataDir: data, download: false }, { size: 16, trainPerClass: 2 });
    expect(ds.classNames.slice(0, 3)).toEqual(['ak47', 'american-flag', 'backpack']);
    expect(ds.classNames).toHaveLength(256);
    expect(ds.version).toBe('caltech256-67b4f42c-crop-bilinear16-train2-seed0-noclutter');
    const train = await ds.load('train');
    expect(train.shape).toEqual([16, 16, 3]);
    expect(train.n).toBe(6);
    for (let i = 0; i < train.n; i++) expect(near(train.images.subarray(i * 768), colour(train.labels[i]))).toBe(true);

    const withClutter = caltech256(
      { dataDir: data, download: false },
      { size: 16, trainPerClass: 2, includeClutter: true },
    );
    expect(withClutter.classNames).toHaveLength(257);
    expect(withClutter.classNames[256]).toBe('clutter');
    expect(Array.from((await withClutter.load('train')).labels)).toEqual([0, 0, 1, 1, 2, 2, 256, 256]);
  });

  it('the default id is registered and its class splits parse', () => {
    expect(getDataset('caltech256[0-1]', { dataDir: data, download: false }).classNames).toEqual([
      'ak47',
      'american-flag',
    ]);
  });
});

describe('Tiny-ImageNet and Tiny-ImageNet-C', () => {
  const data = join(dir, 'tiny');
  const root = join(data, 'tiny-imagenet', 'tiny-imagenet-200');
  const wnids = ['n02', 'n01', 'n03']; // unsorted on purpose: class index = sorted position
  beforeAll(async () => {
    mkdirSync(join(root, 'val', 'images'), { recursive: true });
    writeFileSync(join(root, 'wnids.txt'), `${wnids.join('\n')}\n`);
    writeFileSync(
      join(root, 'words.txt'),
      'n01\tgoldfish, Carassius auratus\nn02\tsalamander\nn03\tbullfrog\nn99\tunused\n',
    );
    for (const w of wnids) {
      const label = [...wnids].sort().indexOf(w);
      mkdirSync(join(root, 'train', w, 'images'), { recursive: true });
      for (let k = 0; k < 2; k++)
        writeFileSync(
          join(root, 'train', w, 'images', `${w}_${k}.JPEG`),
          await writeJpeg(64, 64, solid(64, 64, colour(label)), { gray: w === 'n03' && k === 1 }),
        );
    }
    const val = [
      ['val_0.JPEG', 'n03'],
      ['val_1.JPEG', 'n01'],
      ['val_2.JPEG', 'n02'],
    ];
    writeFileSync(join(root, 'val', 'val_annotations.txt'), val.map(([f, w]) => `${f}\t${w}\t0\t0\t63\t63`).join('\n'));
    for (const [f, w] of val)
      writeFileSync(
        join(root, 'val', 'images', f),
        await writeJpeg(64, 64, solid(64, 64, colour(['n01', 'n02', 'n03'].indexOf(w)))),
      );
    for (const [c, s] of [
      ['gaussian_noise', 3],
      ['fog', 1],
    ] as const) {
      for (const w of ['n01', 'n03']) {
        const folder = join(data, 'tiny-imagenet-c', 'Tiny-ImageNet-C', c, String(s), w);
        mkdirSync(folder, { recursive: true });
        writeFileSync(
          join(folder, 'a.JPEG'),
          await writeJpeg(64, 64, solid(64, 64, colour(['n01', 'n02', 'n03'].indexOf(w)))),
        );
      }
    }
  });

  it('train by sorted wnid, val as test via val_annotations.txt, grayscale expanded, names from words.txt', async () => {
    const ds = tinyImagenet({ dataDir: data, download: false });
    expect(ds.classNames).toEqual(['goldfish', 'salamander', 'bullfrog']);
    const train = await ds.load('train');
    expect(train.shape).toEqual([64, 64, 3]);
    expect(Array.from(train.labels)).toEqual([0, 0, 1, 1, 2, 2]);
    const gray = train.images.subarray(5 * 12288, 6 * 12288);
    expect(gray[0]).toBe(gray[1]);
    expect(gray[1]).toBe(gray[2]);
    const test = await ds.load('test');
    expect(Array.from(test.labels)).toEqual([2, 0, 1]);
    for (let i = 0; i < 3; i++) expect(near(test.images.subarray(i * 12288), colour(test.labels[i]))).toBe(true);
  });

  it('Tiny-ImageNet-C: one (corruption, severity) folder as a split, labels from the clean wnids, cached', async () => {
    const ds = getDataset('tiny-imagenet-c:gaussian_noise:3', { dataDir: data, download: false });
    expect(ds.classNames).toEqual(['goldfish', 'salamander', 'bullfrog']);
    const s = await ds.load('test');
    expect(Array.from(s.labels)).toEqual([0, 2]);
    const lines: string[] = [];
    const again = await tinyImagenetC({ dataDir: data, download: false, log: (l) => lines.push(l) }).loadCorrupted(
      'gaussian_noise',
      3,
    );
    expect(lines[0]).toMatch(
      /^cache: gaussian_noise-3 from .*tiny-imagenet-c\/cache\/tiny-imagenet-c-jpeg-v1\/gaussian_noise-3\.u8$/,
    );
    expect(Buffer.from(again.images).equals(Buffer.from(s.images))).toBe(true);
    await expect(tinyImagenetC({ dataDir: data, download: false }).loadCorrupted('fog', 2)).rejects.toThrow(
      /tiny-imagenet-c: missing .*Tiny-ImageNet-C\/fog\/2$/,
    );
  });

  it('a truncated JPEG fails naming it, and no cache entry is written', async () => {
    const bad = join(dir, 'tiny-bad');
    const broot = join(bad, 'tiny-imagenet', 'tiny-imagenet-200');
    mkdirSync(join(broot, 'val', 'images'), { recursive: true });
    writeFileSync(join(broot, 'wnids.txt'), 'n01\n');
    writeFileSync(join(broot, 'val', 'val_annotations.txt'), 'val_0.JPEG\tn01\t0\t0\t1\t1\n');
    const jpg = readFileSync(join(root, 'val', 'images', 'val_0.JPEG'));
    const file = join(broot, 'val', 'images', 'val_0.JPEG');
    writeFileSync(file, jpg.subarray(0, Math.floor(jpg.length / 2)));
    await expect(tinyImagenet({ dataDir: bad, download: false }).load('test')).rejects.toThrow(
      new RegExp(`^${file}: (truncated JPEG|cannot decode)`),
    );
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(bad, 'tiny-imagenet', 'cache'))).toBe(false);
    writeFileSync(join(broot, 'val', 'val_annotations.txt'), 'val_0.JPEG\tn77\t0\t0\t1\t1\n');
    await expect(tinyImagenet({ dataDir: bad, download: false }).load('test')).rejects.toThrow(
      /val_annotations\.txt line 1: unknown wnid 'n77'/,
    );
  });
});
