/**
 * @module Decoding a list of JPEG files into one split at a fixed size. `fit` says how an image that
 * is not already that size gets there: `resize` stretches it, `center-crop` takes the largest centred
 * square first (keeps the aspect ratio). Both resample with resize.ts's bilinear filter.
 */
import { existsSync, readFileSync } from 'node:fs';
import { decodeJpegSync, jpegDecoder } from './formats/jpeg.ts';
import { centerSquare, resizeBilinear } from './resize.ts';
import type { DataSplit } from './types.ts';

export interface LabelledFile {
  path: string;
  label: number;
}

export async function decodeJpegFiles(
  files: LabelledFile[],
  size: number,
  fit: 'resize' | 'center-crop',
  log?: (line: string) => void,
): Promise<DataSplit> {
  const codec = await jpegDecoder();
  const per = size * size * 3;
  const images = new Uint8Array(files.length * per);
  const labels = new Int32Array(files.length);
  let reported = 0;
  for (let i = 0; i < files.length; i++) {
    const { path, label } = files[i];
    if (!existsSync(path)) throw new Error(`missing ${path}`);
    let img = decodeJpegSync(codec, readFileSync(path), path);
    if (img.width !== size || img.height !== size)
      img = resizeBilinear(fit === 'center-crop' ? centerSquare(img) : img, size, size);
    images.set(img.data, i * per);
    labels[i] = label;
    if (log && i + 1 - reported >= 10000) {
      reported = i + 1;
      log(`  decoded ${reported} of ${files.length} JPEGs`);
    }
  }
  return { images, labels, n: files.length, shape: [size, size, 3] };
}
