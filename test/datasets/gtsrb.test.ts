/**
 * PPM reader, bilinear resize, the GTSRB CSV/ROI loader on a PPM + CSV tree written by the test, zip
 * extraction through the real download path (a 127.0.0.1 server), and bad input.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { digest } from '../../datasets/download.ts';
import { parsePpm } from '../../datasets/formats/ppm.ts';
import { GTSRB_CLASSES, gtsrb, parseGtsrbCsv } from '../../datasets/gtsrb.ts';
import { crop, resizeBilinear } from '../../datasets/resize.ts';
import { type DatasetSource, ensureFiles } from '../../datasets/sources.ts';
import { writePpm } from '../../datasets/formats/writers.ts';
import { boxImage, writeZip } from '../support/format-writers.ts';
import { serveFiles } from '../support/file-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-gtsrb-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PPM reader', () => {
  it('reads P6 with a comment line', () => {
    const img = parsePpm(writePpm(2, 1, Uint8Array.from([1, 2, 3, 4, 5, 6]), 'made by a test'), 'a.ppm');
    expect([img.width, img.height]).toEqual([2, 1]);
    expect(Array.from(img.data)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('names the file and the problem on bad input', () => {
    const good = writePpm(4, 4, new Uint8Array(48));
    expect(() => parsePpm(good.subarray(0, good.length - 5), 'cut.ppm')).toThrow(
      'cut.ppm: truncated: 4x4 PPM needs 48 pixel bytes, the file has 43',
    );
    expect(() => parsePpm(Buffer.from('P3\n1 1\n255\n0 0 0'), 'ascii.ppm')).toThrow(
      "ascii.ppm: not a binary PPM (magic is not 'P6')",
    );
    expect(() => parsePpm(Buffer.from('P6\n4 '), 'head.ppm')).toThrow(
      'head.ppm: truncated or malformed PPM header (no height)',
    );
    expect(() => parsePpm(Buffer.from('P6\n1 1\n65535\n'), 'deep.ppm')).toThrow(
      'deep.ppm: PPM maxval 65535 is not 1..255',
    );
  });
});

describe('resize', () => {
  it('upscaling is bilinear with half-pixel centres; shrinking a constant image keeps it', () => {
    const row = { width: 2, height: 1, data: Uint8Array.from([0, 0, 0, 100, 100, 100]) };
    const up = resizeBilinear(row, 4, 1);
    expect(Array.from(up.data.filter((_, i) => i % 3 === 0))).toEqual([0, 25, 75, 100]);
    const flat = { width: 37, height: 23, data: new Uint8Array(37 * 23 * 3).fill(77) };
    expect(new Set(resizeBilinear(flat, 8, 8).data)).toEqual(new Set([77]));
    // A 2x shrink weighs the centre pair more than the neighbours (triangle of radius 2).
    const ramp = { width: 4, height: 1, data: Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 140, 140, 140]) };
    expect(resizeBilinear(ramp, 2, 1).data[3]).toBe(Math.round((0.25 * 0 + 0.75 * 0 + 0.75 * 140) / 1.75));
  });

  it('crop keeps the inclusive box', () => {
    const img = { width: 5, height: 4, data: boxImage(5, 4, [1, 1, 3, 2], [9, 9, 9], [0, 0, 0]) };
    const c = crop(img, 1, 1, 3, 2);
    expect([c.width, c.height]).toEqual([3, 2]);
    expect(new Set(c.data)).toEqual(new Set([9]));
  });
});

/** A GTSRB tree: per class a folder with PPMs of a sign (colour = class) inside a grey border, and the CSVs. */
function writeTree(root: string, perClass: number[], testLabels: number[]): void {
  const colour = (c: number) => [20 + c * 50, 200 - c * 40, 7 * c];
  const header = 'Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId';
  perClass.forEach((count, c) => {
    const name = String(c).padStart(5, '0');
    const folder = join(root, 'GTSRB', 'Final_Training', 'Images', name);
    mkdirSync(folder, { recursive: true });
    const lines = [header];
    for (let k = 0; k < count; k++) {
      const w = 30 + 3 * k;
      const h = 28 + 2 * k;
      const box: [number, number, number, number] = [5, 6, w - 5, h - 4];
      writeFileSync(
        join(folder, `00000_0000${k}.ppm`),
        writePpm(w, h, boxImage(w, h, box, colour(c), [128, 128, 128])),
      );
      lines.push(`00000_0000${k}.ppm;${w};${h};${box.join(';')};${c}`);
    }
    writeFileSync(join(folder, `GT-${name}.csv`), `${lines.join('\r\n')}\r\n`);
  });
  const testDir = join(root, 'GTSRB', 'Final_Test', 'Images');
  mkdirSync(testDir, { recursive: true });
  const lines = [header];
  testLabels.forEach((c, k) => {
    const file = `${String(k).padStart(5, '0')}.ppm`;
    writeFileSync(join(testDir, file), writePpm(53, 54, boxImage(53, 54, [6, 5, 48, 49], colour(c), [128, 128, 128])));
    lines.push(`${file};53;54;6;5;48;49;${c}`);
  });
  writeFileSync(join(root, 'GT-final_test.csv'), `${lines.join('\n')}\n`);
}

describe('GTSRB loader', () => {
  const data = join(dir, 'local');
  writeTree(join(data, 'gtsrb'), [2, 3], [1, 0, 1]);

  it('crops each image to its ROI and resizes to 32x32, in CSV order, classes by folder', async () => {
    const ds = gtsrb({ dataDir: data, download: false });
    expect(ds.classNames).toHaveLength(43);
    expect(ds.classNames[14]).toBe('Stop');
    const train = await ds.load('train');
    expect(train.n).toBe(5);
    expect(train.shape).toEqual([32, 32, 3]);
    expect(Array.from(train.labels)).toEqual([0, 0, 1, 1, 1]);
    // The ROI is exactly the sign, so no grey border survives the crop: every pixel is the class colour.
    for (let i = 0; i < train.n; i++) {
      const img = train.images.subarray(i * 3072, (i + 1) * 3072);
      const c = train.labels[i];
      for (let p = 0; p < 1024; p++)
        expect([img[3 * p], img[3 * p + 1], img[3 * p + 2]]).toEqual([20 + c * 50, 200 - c * 40, 7 * c]);
    }
    const test = await ds.load('test');
    expect(Array.from(test.labels)).toEqual([1, 0, 1]);
    expect(Array.from(test.images.subarray(0, 3))).toEqual([70, 160, 7]);
  });

  it('CSV problems name the file and line', () => {
    expect(() => parseGtsrbCsv('Filename;Width\nx.ppm;3\n', 'a.csv')).toThrow("a.csv: header has no 'Roi.X1' column");
    const header = 'Filename;Width;Height;Roi.X1;Roi.Y1;Roi.X2;Roi.Y2;ClassId';
    expect(() => parseGtsrbCsv(`${header}\nx.ppm;30;30;5;5;xx;25;1\n`, 'b.csv')).toThrow(
      "b.csv: line 2 is malformed ('x.ppm;30;30;5;5;xx;25;1')",
    );
    expect(() => parseGtsrbCsv(`${header}\nx.ppm;30;30;5;5;25;25;43\n`, 'c.csv')).toThrow(
      'c.csv: line 2: ClassId 43 is not 0..42',
    );
    expect(GTSRB_CLASSES).toHaveLength(43);
  });

  it('a truncated PPM names the file; missing test labels name the path; nothing is cached', async () => {
    const bad = join(dir, 'bad');
    writeTree(join(bad, 'gtsrb'), [1], [0]);
    const ppm = join(bad, 'gtsrb', 'GTSRB', 'Final_Test', 'Images', '00000.ppm');
    writeFileSync(ppm, readFileSync(ppm).subarray(0, 100));
    await expect(gtsrb({ dataDir: bad, download: false }).load('test')).rejects.toThrow(
      `${ppm}: truncated: 53x54 PPM needs`,
    );
    rmSync(join(bad, 'gtsrb', 'GT-final_test.csv'));
    await expect(gtsrb({ dataDir: bad, download: false }).load('test')).rejects.toThrow(
      `gtsrb: ${join(bad, 'gtsrb', 'GT-final_test.csv')} does not exist and downloads are off (put the files of https://sid.erda.dk/`,
    );
    expect(existsSync(join(bad, 'gtsrb', 'cache'))).toBe(false);
  });

  it('the real GTSRB download path refuses a zip whose MD5 does not match, leaving nothing', async () => {
    const zip = writeZip([{ name: 'GT-final_test.csv', data: Buffer.from('Filename;ClassId\n') }]);
    const server = await serveFiles({ '/GTSRB_Final_Test_GT.zip': zip, '/GTSRB_Final_Test_Images.zip': zip });
    try {
      const root = join(dir, 'dl');
      await expect(gtsrb({ dataDir: root, mirror: server.url }).load('test')).rejects.toThrow(
        /md5 is [0-9a-f]{32}, expected c7e4e6327067d32654124b0fe9e82185/,
      );
      expect(readdirSync(join(root, 'gtsrb'))).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('download + zip extraction (ensureFiles)', () => {
  const zip = writeZip([
    { name: 'pack/' },
    { name: 'pack/a.txt', data: Buffer.from('alpha') },
    { name: 'pack/sub/b.bin', data: new Uint8Array(5000).fill(3) },
    { name: 'other.txt', data: Buffer.from('not wanted') },
  ]);
  const source = (hex: string): DatasetSource => ({
    folderName: 'zipped',
    files: [
      {
        name: 'pack.zip',
        url: 'https://example.invalid/pack.zip',
        checksum: { algorithm: 'sha256', hex },
        archive: 'zip',
        provides: ['pack'],
      },
    ],
  });

  it('downloads, verifies, extracts only what the file provides', async () => {
    const server = await serveFiles({ '/pack.zip': zip });
    try {
      const root = join(dir, 'zip-ok');
      const folder = await ensureFiles('zipped', source(digest(zip, 'sha256')), ['pack/a.txt'], {
        dataDir: root,
        mirror: server.url,
      });
      expect(readFileSync(join(folder, 'pack', 'a.txt'), 'utf8')).toBe('alpha');
      expect(readFileSync(join(folder, 'pack', 'sub', 'b.bin'))).toEqual(Buffer.alloc(5000, 3));
      expect(readdirSync(folder).sort()).toEqual(['pack', 'pack.zip']);
      // Present now: no second request.
      await ensureFiles('zipped', source(digest(zip, 'sha256')), ['pack/a.txt'], { dataDir: root, mirror: server.url });
      expect(server.requests).toEqual(['/pack.zip']);
    } finally {
      await server.close();
    }
  });

  it('concurrent loads share one download; a connection cut mid-transfer leaves nothing in place', async () => {
    const server = await serveFiles({ '/pack.zip': zip });
    try {
      const root = join(dir, 'zip-twice');
      const src = source(digest(zip, 'sha256'));
      await Promise.all([
        ensureFiles('zipped', src, ['pack/a.txt'], { dataDir: root, mirror: server.url }),
        ensureFiles('zipped', src, ['pack/sub'], { dataDir: root, mirror: server.url }),
      ]);
      expect(server.requests).toEqual(['/pack.zip']);
    } finally {
      await server.close();
    }
    const { createServer } = await import('node:http');
    const cutter = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': String(zip.length) });
      res.write(zip.subarray(0, 100));
      setTimeout(() => res.destroy(), 20);
    });
    await new Promise<void>((r) => cutter.listen(0, '127.0.0.1', () => r()));
    try {
      const root = join(dir, 'zip-cut');
      const url = `http://127.0.0.1:${(cutter.address() as { port: number }).port}`;
      vi.stubEnv('RFTBENCH_DOWNLOAD_RETRIES', '0'); // this server cuts every attempt: fail at once
      await expect(
        ensureFiles('zipped', source(digest(zip, 'sha256')), ['pack'], { dataDir: root, mirror: url }),
      ).rejects.toThrow(`download ${url}/pack.zip`);
      // Nothing extracted, nothing in place; the bytes received are kept for the next attempt to resume.
      expect(readdirSync(join(root, 'zipped'))).toEqual(['pack.zip.partial']);
    } finally {
      vi.unstubAllEnvs();
      await new Promise<void>((r) => cutter.close(() => r()));
    }
  });

  it('a corrupt archive with the right checksum fails naming it, leaving no partial extraction', async () => {
    const broken = Buffer.from(zip.subarray(0, zip.length - 30));
    const server = await serveFiles({ '/pack.zip': broken });
    try {
      const root = join(dir, 'zip-bad');
      await expect(
        ensureFiles('zipped', source(digest(broken, 'sha256')), ['pack'], { dataDir: root, mirror: server.url }),
      ).rejects.toThrow(`${join(root, 'zipped', 'pack.zip')}: cannot extract`);
      expect(readdirSync(join(root, 'zipped'))).toEqual(['pack.zip']);
    } finally {
      await server.close();
    }
  });
});

describe('download + tar extraction (ensureFiles)', () => {
  it('extracts a verified tar.gz; a truncated one fails naming it and leaves no partial folder', async () => {
    const src = join(dir, 'tar-src');
    mkdirSync(join(src, 'top', 'inner'), { recursive: true });
    writeFileSync(join(src, 'top', 'inner', 'x.bin'), Buffer.alloc(20000, 7));
    const archive = join(dir, 'top.tar.gz');
    await tar.c({ file: archive, cwd: src, gzip: true }, ['top']);
    const good = readFileSync(archive);
    const cut = good.subarray(0, Math.floor(good.length / 2));
    const source = (bytes: Uint8Array): DatasetSource => ({
      folderName: 'tarred',
      files: [
        {
          name: 'top.tar.gz',
          url: 'https://example.invalid/top.tar.gz',
          checksum: { algorithm: 'md5', hex: digest(bytes, 'md5') },
          archive: 'tar',
          provides: ['top'],
        },
      ],
    });
    const server = await serveFiles({ '/top.tar.gz': good });
    const bad = await serveFiles({ '/top.tar.gz': cut });
    try {
      const folder = await ensureFiles('tarred', source(good), ['top/inner/x.bin'], {
        dataDir: join(dir, 'tar-ok'),
        mirror: server.url,
      });
      expect(readFileSync(join(folder, 'top', 'inner', 'x.bin'))).toEqual(Buffer.alloc(20000, 7));
      const root = join(dir, 'tar-bad');
      await expect(ensureFiles('tarred', source(cut), ['top'], { dataDir: root, mirror: bad.url })).rejects.toThrow(
        `${join(root, 'tarred', 'top.tar.gz')}: cannot extract`,
      );
      expect(readdirSync(join(root, 'tarred'))).toEqual(['top.tar.gz']);
    } finally {
      await server.close();
      await bad.close();
    }
  });
});
