/**
 * @module A synchronous JPEG round trip for the jpeg_compression corruption: mozjpeg (wasm, `@jsquash/jpeg`)
 * set up like libjpeg as Pillow calls it (baseline, Annex K quantisation tables, 4:2:0 chroma, no trellis
 * quantisation), so a quality means what it means to the reference. Load it once with `jpegCodec()`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { decodeJpegSync, jpegDecoder } from '../formats/jpeg.ts';

interface MozJpegEncoder {
  encode(data: Uint8ClampedArray, width: number, height: number, options: Record<string, unknown>): Uint8Array;
}

interface WasmInstance {
  exports: unknown;
}
const Wasm = (
  globalThis as unknown as {
    WebAssembly: { compile(bytes: Uint8Array): Promise<object>; Instance: new (module: object, imports: object) => WasmInstance };
  }
).WebAssembly;

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
    const dir = createRequire(import.meta.url).resolve('@jsquash/jpeg/package.json').replace(/package\.json$/, 'codec/');
    const wasm = await Wasm.compile(readFileSync(`${dir}enc/mozjpeg_enc.wasm`));
    const factory = (await import('@jsquash/jpeg/codec/enc/mozjpeg_enc.js')).default as unknown as (o: Record<string, unknown>) => Promise<MozJpegEncoder>;
    const encoder = await factory({
      noInitialRun: true,
      instantiateWasm: (imports: object, done: (i: WasmInstance) => void) => {
        const instance = new Wasm.Instance(wasm, imports);
        done(instance);
        return instance.exports;
      },
    });
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
