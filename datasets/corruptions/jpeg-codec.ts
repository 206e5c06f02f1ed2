/**
 * @module A synchronous JPEG round trip for the jpeg_compression corruption: mozjpeg (wasm, `@jsquash/jpeg`)
 * set up like libjpeg as Pillow calls it (baseline, Annex K quantisation tables, 4:2:0 chroma, no trellis
 * quantisation), so a quality means what it means to the reference. Load it once with `jpegCodec()`.
 */
import { decodeJpegSync, instantiateMozjpeg, jpegDecoder, type MozJpegEncoder } from '../formats/jpeg.ts';

export interface JpegCodec {
  /** RGB bytes -> JPEG at `quality` -> RGB bytes. */
  roundTrip(rgb: Uint8Array, h: number, w: number, quality: number): Uint8Array;
}

const LIBJPEG_LIKE = {
  baseline: true,
  arithmetic: false,
  progressive: false,
  // Entropy coding only (decoded values are the same); with the standard Huffman tables this wasm build
  // garbles some blocks of small images (measured: 22 of 100 CIFAR images), so optimised tables are used.
  optimize_coding: true,
  smoothing: 0,
  color_space: 3,
  quant_table: 0,
  trellis_multipass: false,
  trellis_opt_zero: false,
  trellis_opt_table: false,
  trellis_loops: 1,
  auto_subsample: false,
  chroma_subsample: 2,
  separate_chroma_quality: false,
};

let codec: Promise<JpegCodec> | undefined;

export function jpegCodec(): Promise<JpegCodec> {
  codec ??= (async () => {
    const encoder = await instantiateMozjpeg<MozJpegEncoder>('enc/mozjpeg_enc');
    const decoder = await jpegDecoder();
    return {
      roundTrip(rgb, h, w, quality) {
        const rgba = new Uint8ClampedArray(h * w * 4);
        for (let p = 0; p < h * w; p++) {
          rgba[p * 4] = rgb[p * 3];
          rgba[p * 4 + 1] = rgb[p * 3 + 1];
          rgba[p * 4 + 2] = rgb[p * 3 + 2];
          rgba[p * 4 + 3] = 255;
        }
        const jpeg = encoder.encode(rgba, w, h, { ...LIBJPEG_LIKE, quality, chroma_quality: quality });
        return decodeJpegSync(decoder, new Uint8Array(jpeg), 'jpeg_compression').data;
      },
    };
  })();
  return codec;
}
