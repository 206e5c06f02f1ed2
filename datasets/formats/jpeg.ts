/**
 * @module JPEG decoding with mozjpeg compiled to wasm (`@jsquash/jpeg`). The codec module is made
 * once and called synchronously; its error text (normally printed to stderr) is captured so a bad
 * file fails with its name and libjpeg's reason. Grayscale JPEGs come out as RGB with R = G = B.
 * A truncated file ("Premature end of JPEG file", which libjpeg only warns about) is an error too.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { RgbImage } from './ppm.ts';

interface DecodedImage {
  data: Uint8ClampedArray;
  width: number;
  height: number;
}

interface MozJpegDecoder {
  decode(data: Uint8Array, preserveOrientation: boolean): DecodedImage | null;
}

/** mozjpeg's encoder: RGBA in, JPEG bytes out; the options are mozjpeg's (quality, quant_table, ...). */
export interface MozJpegEncoder {
  encode(data: Uint8ClampedArray, width: number, height: number, options: Record<string, unknown>): Uint8Array;
}

/** The slice of the WebAssembly API used here (the project's lib settings do not declare it). */
interface WasmInstance {
  exports: unknown;
}
const Wasm = (
  globalThis as unknown as {
    WebAssembly: {
      compile(bytes: Uint8Array): Promise<object>;
      Instance: new (module: object, imports: object) => WasmInstance;
    };
  }
).WebAssembly;

let decoder: Promise<MozJpegDecoder> | undefined;
let messages: string[] = [];

function codecDir(): string {
  return createRequire(import.meta.url)
    .resolve('@jsquash/jpeg/package.json')
    .replace(/package\.json$/, 'codec/');
}

/**
 * Instantiates one of @jsquash/jpeg's emscripten codecs (`dec/mozjpeg_dec` or `enc/mozjpeg_enc`) from its
 * wasm file on disk, as Node needs it; `extra` adds module options (print hooks).
 */
export async function instantiateMozjpeg<T>(
  name: 'dec/mozjpeg_dec' | 'enc/mozjpeg_enc',
  extra: Record<string, unknown> = {},
): Promise<T> {
  const wasm = await Wasm.compile(readFileSync(`${codecDir()}${name}.wasm`));
  const module =
    name === 'dec/mozjpeg_dec'
      ? await import('@jsquash/jpeg/codec/dec/mozjpeg_dec.js')
      : await import('@jsquash/jpeg/codec/enc/mozjpeg_enc.js');
  const factory = module.default as unknown as (opts: Record<string, unknown>) => Promise<T>;
  return factory({
    noInitialRun: true,
    instantiateWasm: (imports: object, done: (i: WasmInstance) => void) => {
      const instance = new Wasm.Instance(wasm, imports);
      done(instance);
      return instance.exports;
    },
    ...extra,
  });
}

/** Loads the wasm decoder (once per process). */
export function jpegDecoder(): Promise<MozJpegDecoder> {
  decoder ??= instantiateMozjpeg<MozJpegDecoder>('dec/mozjpeg_dec', {
    print: (s: string) => messages.push(s),
    printErr: (s: string) => messages.push(s),
  });
  return decoder;
}

/** Decodes one JPEG to interleaved RGB. Call `await jpegDecoder()` first, or use `decodeJpeg`. */
export function decodeJpegSync(codec: MozJpegDecoder, bytes: Uint8Array, file: string): RgbImage {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8)
    throw new Error(`${file}: not a JPEG file (bad magic)`);
  messages = [];
  let out: DecodedImage | null;
  try {
    out = codec.decode(bytes, false);
  } catch (err) {
    throw new Error(`${file}: cannot decode JPEG (${messages.join('; ') || (err as Error).message})`);
  }
  if (!out) throw new Error(`${file}: cannot decode JPEG (${messages.join('; ') || 'decoder returned nothing'})`);
  if (messages.some((m) => m.includes('Premature end')))
    throw new Error(`${file}: truncated JPEG (${messages.join('; ')})`);
  const n = out.width * out.height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[3 * i] = out.data[4 * i];
    data[3 * i + 1] = out.data[4 * i + 1];
    data[3 * i + 2] = out.data[4 * i + 2];
  }
  return { width: out.width, height: out.height, data };
}

export async function decodeJpeg(bytes: Uint8Array, file: string): Promise<RgbImage> {
  return decodeJpegSync(await jpegDecoder(), bytes, file);
}
