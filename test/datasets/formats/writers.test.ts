/**
 * The production format writers (used by the dataset bench and the tests) make files the loaders read back
 * exactly: NPY v1/v2, MAT v5 plain and miCOMPRESSED (column-major, a double stored as uint8), PPM with a
 * comment, and JPEG (colour and grayscale, lossy: within a few grey levels of a smooth image).
 */
import { describe, expect, it } from 'vitest';
import { decodeJpeg } from '../../../datasets/formats/jpeg.ts';
import { parseMatV5 } from '../../../datasets/formats/mat-v5.ts';
import { parseNpy } from '../../../datasets/formats/npy.ts';
import { parsePpm } from '../../../datasets/formats/ppm.ts';
import { toColumnMajor, writeJpeg, writeMatV5, writeNpy, writePpm } from '../../../datasets/formats/writers.ts';

const ramp = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37) % 256);

describe('format writers round-trip through the loaders', () => {
  it('NPY v1 and v2', () => {
    const data = new Uint8Array(new Int32Array([7, -3, 1 << 20, 0, 42, -1]).buffer);
    for (const version of [1, 2] as const) {
      const { header, data: read } = parseNpy(writeNpy('<i4', [2, 3], data, version), `v${version}.npy`);
      expect(header.shape).toEqual([2, 3]);
      expect(header.dataOffset % 64).toBe(0);
      expect(Array.from(read)).toEqual([7, -3, 1 << 20, 0, 42, -1]);
    }
  });

  it('MAT v5: NHWC images as MATLAB column-major X, plain and compressed', () => {
    const [n, h, w, c] = [2, 3, 4, 3];
    const nhwc = ramp(n * h * w * c);
    for (const compress of [false, true]) {
      const file = writeMatV5(
        [
          { name: 'X', className: 'uint8', dims: [h, w, c, n], values: toColumnMajor(nhwc, n, h, w, c) },
          { name: 'y', className: 'double', storage: 'uint8', dims: [n, 1], values: [10, 3] },
        ],
        { compress },
      );
      const vars = parseMatV5(file, 'x.mat');
      const X = vars.get('X')!;
      expect(X.dims).toEqual([h, w, c, n]);
      // Point (i=1, y=2, x=3, k=1) sits at y + h * (x + w * (k + c * i)) in MATLAB's order.
      expect(X.data[2 + h * (3 + w * (1 + c * 1))]).toBe(nhwc[((1 * h + 2) * w + 3) * c + 1]);
      expect(vars.get('y')!.className).toBe('double');
      expect(Array.from(vars.get('y')!.data)).toEqual([10, 3]);
    }
  });

  it('PPM with a header comment', () => {
    const rgb = ramp(5 * 2 * 3);
    const image = parsePpm(writePpm(5, 2, rgb, 'made by a test'), 'x.ppm');
    expect([image.width, image.height]).toEqual([5, 2]);
    expect(Array.from(image.data)).toEqual(Array.from(rgb));
  });

  it('JPEG, colour and grayscale', async () => {
    const [w, h] = [16, 8];
    const rgb = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) rgb.set([x * 12, y * 20, 128], (y * w + x) * 3);
    const colour = await decodeJpeg(await writeJpeg(w, h, rgb, { quality: 95 }), 'c.jpg');
    expect([colour.width, colour.height]).toEqual([w, h]);
    const worst = Math.max(...Array.from(colour.data, (v, i) => Math.abs(v - rgb[i])));
    expect(worst).toBeLessThan(16);
    const gray = await decodeJpeg(await writeJpeg(w, h, rgb, { gray: true }), 'g.jpg');
    for (let p = 0; p < w * h; p++) expect(gray.data[3 * p + 1]).toBe(gray.data[3 * p]); // R = G = B
    expect(Math.abs(gray.data[3 * 5] - rgb[3 * 5])).toBeLessThan(16);
  });
});
