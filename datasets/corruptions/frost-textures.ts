/**
 * @module The frost textures the frost corruption blends in (Apache-2.0, from hendrycks/robustness). Never
 * committed: read from a folder (`RFTBENCH_FROST_DIR`, or `<data>/frost`), else downloaded on first use,
 * each file checked against its sha256 (a partial or corrupt download is never used). Textures are scaled as
 * the reference does with cv2.resize(fx=f, fy=f) (bilinear, half-pixel centres): 0.2 for 32 px, 0.3 for 64 px.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { dataRoot } from '../cache-dir.ts';
import { downloadToFile, fileDigest } from '../download.ts';
import { decodeJpeg } from '../formats/jpeg.ts';
import type { LoadOptions } from '../types.ts';

const BASE_URL = 'https://raw.githubusercontent.com/hendrycks/robustness/master/ImageNet-C/create_c';

/** The five textures the reference draws from (randint(5): frost6 is never used), with their sha256. */
export const FROST_FILES: readonly FrostFile[] = [
  { name: 'frost1.png', sha256: 'ff9f907860bd7a835d459e32f9d588062b7f61ee267343cc7222b56753a14755' },
  { name: 'frost2.png', sha256: 'fe211a89b336999c207a852ce05818d4545d0b57c5beadd824b4cc9d9a9b6137' },
  { name: 'frost3.png', sha256: '2d0d50b4a9bb213f38b024ef7768731bb83cc08d2f26b5766bbc167cdfa0e504' },
  { name: 'frost4.jpg', sha256: '3f8b91ca1a9fa7167b09e773da53f5ae60d0a1fd88f02a783f6e328a72887f6e' },
  { name: 'frost5.jpg', sha256: '5fc6a19df4a429ba68abdcc8f8a4278d4c9f81c9ccafd2c92ab0c8cf8992ebd2' },
];

export interface Texture {
  readonly h: number;
  readonly w: number;
  /** RGB, 0-255 (float, as cv2.resize leaves uint8 rounded: kept integer here too). */
  readonly data: Uint8Array;
}

export interface FrostOptions extends LoadOptions {
  /** A folder holding frost1.png … frost5.jpg. */
  readonly frostDir?: string;
  /** The files and checksums to expect (default FROST_FILES; tests pass textures they made in the same formats). */
  readonly files?: readonly FrostFile[];
}

export interface FrostFile {
  readonly name: string;
  readonly sha256: string;
}

/** cv2.resize(img, (0,0), fx=f, fy=f, INTER_LINEAR) on RGB bytes: output round(size * f), rounded to uint8. */
export function resizeLinear(src: Uint8Array, h: number, w: number, f: number): Texture {
  const oh = Math.round(h * f);
  const ow = Math.round(w * f);
  const data = new Uint8Array(oh * ow * 3);
  const coord = (o: number, n: number) => {
    const s = (o + 0.5) / f - 0.5;
    const i0 = Math.floor(s);
    const t = s - i0;
    const c0 = Math.min(Math.max(i0, 0), n - 1);
    const c1 = Math.min(Math.max(i0 + 1, 0), n - 1);
    return s < 0 ? { i0: 0, i1: 0, t: 0 } : { i0: c0, i1: c1, t };
  };
  for (let y = 0; y < oh; y++) {
    const cy = coord(y, h);
    for (let x = 0; x < ow; x++) {
      const cx = coord(x, w);
      for (let k = 0; k < 3; k++) {
        const v =
          (1 - cy.t) * ((1 - cx.t) * src[(cy.i0 * w + cx.i0) * 3 + k] + cx.t * src[(cy.i0 * w + cx.i1) * 3 + k]) +
          cy.t * ((1 - cx.t) * src[(cy.i1 * w + cx.i0) * 3 + k] + cx.t * src[(cy.i1 * w + cx.i1) * 3 + k]);
        data[(y * ow + x) * 3 + k] = Math.min(255, Math.max(0, Math.round(v)));
      }
    }
  }
  return { h: oh, w: ow, data };
}

async function decode(path: string): Promise<{ h: number; w: number; rgb: Uint8Array }> {
  const bytes = readFileSync(path);
  if (path.endsWith('.png')) {
    const png = PNG.sync.read(bytes);
    const rgb = new Uint8Array(png.width * png.height * 3);
    for (let i = 0; i < png.width * png.height; i++) for (let k = 0; k < 3; k++) rgb[i * 3 + k] = png.data[i * 4 + k];
    return { h: png.height, w: png.width, rgb };
  }
  const img = await decodeJpeg(bytes, path);
  return { h: img.height, w: img.width, rgb: img.data };
}

const cache = new Map<string, Promise<Texture[]>>();

/** The five textures scaled by `scale`, from the folder or a verified download. */
export function frostTextures(scale: number, opts: FrostOptions = {}): Promise<Texture[]> {
  const dir = opts.frostDir ?? process.env.RFTBENCH_FROST_DIR ?? join(dataRoot(opts), 'frost');
  const files = opts.files ?? FROST_FILES;
  const key = `${dir}@${scale}@${files.map((f) => f.sha256).join(',')}`;
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      const out: Texture[] = [];
      for (const f of files) {
        const path = join(dir, f.name);
        if (!existsSync(path)) {
          if (opts.download === false)
            throw new Error(
              `frost corruption: ${path} is missing; put frost1.png … frost5.jpg in ${dir} (or set RFTBENCH_FROST_DIR), or allow downloads`,
            );
          await downloadToFile(`${BASE_URL}/${f.name}`, path, { algorithm: 'sha256', hex: f.sha256 });
        } else {
          const digest = await fileDigest(path, 'sha256');
          if (digest !== f.sha256)
            throw new Error(`frost corruption: ${path} has sha256 ${digest}, expected ${f.sha256}`);
        }
        const img = await decode(path);
        out.push(resizeLinear(img.rgb, img.h, img.w, scale));
      }
      return out;
    })();
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}
