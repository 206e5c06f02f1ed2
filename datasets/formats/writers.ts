/**
 * @module Writers for the real dataset file formats, so the dataset bench and the tests can make small files
 * that the loaders read exactly as they read the official ones: MATLAB v5 (plain and miCOMPRESSED), NPY
 * v1/v2, binary PPM and JPEG (mozjpeg's wasm encoder from `@jsquash/jpeg`). They follow the published
 * format descriptions, not the loaders' code, so a loader bug is not mirrored by its writer.
 */
import { deflateSync } from 'node:zlib';
import { instantiateMozjpeg, type MozJpegEncoder } from './jpeg.ts';

// ---------------------------------------------------------------- MAT v5
const MI_TYPE = { int8: 1, uint8: 2, int32: 5, uint32: 6, double: 9 } as const;
const MX_CLASS = { double: 6, uint8: 9 } as const;

export interface MatVar {
  name: string;
  className: keyof typeof MX_CLASS;
  /** How the values are stored (MATLAB stores small-valued doubles as uint8). Default: the class. */
  storage?: keyof typeof MI_TYPE;
  dims: number[];
  /** Values in column-major order. */
  values: ArrayLike<number>;
}

function matElement(type: number, data: Uint8Array, small = true): Buffer {
  if (small && data.length <= 4) {
    const b = Buffer.alloc(8);
    b.writeUInt32LE(((data.length << 16) | type) >>> 0, 0);
    Buffer.from(data).copy(b, 4);
    return b;
  }
  const padded = Math.ceil(data.length / 8) * 8;
  const b = Buffer.alloc(8 + padded);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(data.length, 4);
  Buffer.from(data).copy(b, 8);
  return b;
}

function encodeValues(storage: keyof typeof MI_TYPE, values: ArrayLike<number>): Uint8Array {
  const arr = Array.from(values);
  switch (storage) {
    case 'uint8':
      return Uint8Array.from(arr);
    case 'int8':
      return new Uint8Array(Int8Array.from(arr).buffer);
    case 'int32':
      return new Uint8Array(Int32Array.from(arr).buffer);
    case 'uint32':
      return new Uint8Array(Uint32Array.from(arr).buffer);
    case 'double':
      return new Uint8Array(Float64Array.from(arr).buffer);
  }
}

function matMatrix(v: MatVar): Buffer {
  const flags = new Uint8Array(new Uint32Array([MX_CLASS[v.className], 0]).buffer);
  const body = Buffer.concat([
    matElement(MI_TYPE.uint32, flags),
    matElement(MI_TYPE.int32, new Uint8Array(Int32Array.from(v.dims).buffer)),
    matElement(MI_TYPE.int8, new TextEncoder().encode(v.name)),
    matElement(MI_TYPE[v.storage ?? v.className], encodeValues(v.storage ?? v.className, v.values)),
  ]);
  return matElement(14, body, false);
}

/** A little-endian v5 MAT-file; `compress` wraps each variable in miCOMPRESSED (zlib). */
export function writeMatV5(vars: MatVar[], { compress = false } = {}): Buffer {
  const header = Buffer.alloc(128, 0x20);
  header.write('MATLAB 5.0 MAT-file, Platform: rftbench test writer', 0, 'latin1');
  header.fill(0, 116, 124); // subsystem data offset
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  const parts = vars.map((v) => {
    const m = matMatrix(v);
    if (!compress) return m;
    const z = deflateSync(m);
    const tag = Buffer.alloc(8);
    tag.writeUInt32LE(15, 0);
    tag.writeUInt32LE(z.length, 4);
    return Buffer.concat([tag, z]); // compressed elements are not padded
  });
  return Buffer.concat([header, ...parts]);
}

/** Column-major values of an NHWC uint8 array, as MATLAB stores X [H, W, C, N]. */
export function toColumnMajor(nhwc: Uint8Array, n: number, h: number, w: number, c: number): Uint8Array {
  const out = new Uint8Array(nhwc.length);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) {
          out[y + h * (x + w * (k + c * i))] = nhwc[((i * h + y) * w + x) * c + k];
        }
  return out;
}

// ---------------------------------------------------------------- NPY
/** A .npy file; version 1 (uint16 header length) or 2 (uint32). `data` holds the raw element bytes. */
export function writeNpy(descr: string, shape: number[], data: Uint8Array, version: 1 | 2 = 1): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const prefix = version === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64; // numpy pads to 64 bytes
  dict = `${dict.padEnd(total - prefix - 1, ' ')}\n`;
  const head = Buffer.alloc(prefix);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]).copy(head);
  if (version === 1) head.writeUInt16LE(dict.length, 8);
  else head.writeUInt32LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, 'latin1'), Buffer.from(data)]);
}

// ---------------------------------------------------------------- PPM
export function writePpm(width: number, height: number, rgb: Uint8Array, comment?: string): Buffer {
  const header = `P6\n${comment ? `# ${comment}\n` : ''}${width} ${height}\n255\n`;
  return Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from(rgb)]);
}

// ---------------------------------------------------------------- JPEG
let encoder: Promise<MozJpegEncoder> | undefined;

function jpegEncoder(): Promise<MozJpegEncoder> {
  encoder ??= instantiateMozjpeg<MozJpegEncoder>('enc/mozjpeg_enc');
  return encoder;
}

/** Encodes interleaved RGB as a baseline JPEG; `gray` writes a one-channel (grayscale) JPEG of the R plane. */
export async function writeJpeg(
  width: number,
  height: number,
  rgb: Uint8Array,
  { quality = 95, gray = false } = {},
): Promise<Buffer> {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[4 * i] = rgb[3 * i];
    rgba[4 * i + 1] = gray ? rgb[3 * i] : rgb[3 * i + 1];
    rgba[4 * i + 2] = gray ? rgb[3 * i] : rgb[3 * i + 2];
    rgba[4 * i + 3] = 255;
  }
  const options = {
    quality,
    baseline: true,
    arithmetic: false,
    progressive: false,
    optimize_coding: true,
    smoothing: 0,
    color_space: gray ? 1 : 3,
    quant_table: 3,
    trellis_multipass: false,
    trellis_opt_zero: false,
    trellis_opt_table: false,
    trellis_loops: 1,
    auto_subsample: true,
    chroma_subsample: 2,
    separate_chroma_quality: false,
    chroma_quality: quality,
  };
  return Buffer.from((await jpegEncoder()).encode(rgba, width, height, options));
}
