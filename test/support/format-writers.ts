/**
 * Writers for the real dataset file formats, so tests and the dataset bench can make small files that
 * the loaders read exactly as they read the official ones: MATLAB v5 (plain and miCOMPRESSED), NPY
 * v1/v2, binary PPM, zip (stored or deflated, via node:zlib), and JPEG (mozjpeg's wasm encoder from
 * `@jsquash/jpeg`). They follow the format descriptions in docs/datasets.md, not the loaders' code.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { crc32, deflateRawSync, deflateSync } from 'node:zlib';

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
    case 'uint8': return Uint8Array.from(arr);
    case 'int8': return new Uint8Array(Int8Array.from(arr).buffer);
    case 'int32': return new Uint8Array(Int32Array.from(arr).buffer);
    case 'uint32': return new Uint8Array(Uint32Array.from(arr).buffer);
    case 'double': return new Uint8Array(Float64Array.from(arr).buffer);
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
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) {
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
  dict = dict.padEnd(total - prefix - 1, ' ') + '\n';
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

/** A width x height RGB image filled with `outside`, with the box x1..x2, y1..y2 (inclusive) filled with `inside`. */
export function boxImage(width: number, height: number, box: [number, number, number, number], inside: number[], outside: number[]): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const c = x >= box[0] && x <= box[2] && y >= box[1] && y <= box[3] ? inside : outside;
    rgb.set(c, (y * width + x) * 3);
  }
  return rgb;
}

// ---------------------------------------------------------------- ZIP
/** A zip archive (local headers, central directory, end record); entries ending in '/' are folders. */
export function writeZip(entries: { name: string; data?: Uint8Array }[], { deflate = true } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const raw = Buffer.from(e.data ?? new Uint8Array(0));
    const method = deflate && raw.length > 0 ? 8 : 0;
    const body = method === 8 ? deflateRawSync(raw) : raw;
    const crc = crc32(raw);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(raw.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(raw.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

// ---------------------------------------------------------------- JPEG
interface MozJpegEncoder {
  encode(data: Uint8ClampedArray, width: number, height: number, options: Record<string, unknown>): Uint8Array;
}

let encoder: Promise<MozJpegEncoder> | undefined;

async function jpegEncoder(): Promise<MozJpegEncoder> {
  encoder ??= (async () => {
    const dir = createRequire(import.meta.url).resolve('@jsquash/jpeg/package.json').replace(/package\.json$/, 'codec/');
    const Wasm = (globalThis as unknown as { WebAssembly: { compile(b: Uint8Array): Promise<object>; Instance: new (m: object, i: object) => { exports: unknown } } }).WebAssembly;
    const wasm = await Wasm.compile(readFileSync(`${dir}enc/mozjpeg_enc.wasm`));
    const factory = (await import('@jsquash/jpeg/codec/enc/mozjpeg_enc.js')).default as unknown as (o: object) => Promise<MozJpegEncoder>;
    return factory({
      noInitialRun: true,
      instantiateWasm: (imports: object, done: (i: { exports: unknown }) => void) => {
        const instance = new Wasm.Instance(wasm, imports);
        done(instance);
        return instance.exports;
      },
    });
  })();
  return encoder;
}

/** Encodes interleaved RGB as a baseline JPEG; `gray` writes a one-channel (grayscale) JPEG of the R plane. */
export async function writeJpeg(width: number, height: number, rgb: Uint8Array, { quality = 95, gray = false } = {}): Promise<Buffer> {
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    rgba[4 * i] = rgb[3 * i];
    rgba[4 * i + 1] = gray ? rgb[3 * i] : rgb[3 * i + 1];
    rgba[4 * i + 2] = gray ? rgb[3 * i] : rgb[3 * i + 2];
    rgba[4 * i + 3] = 255;
  }
  const options = {
    quality, baseline: true, arithmetic: false, progressive: false, optimize_coding: true, smoothing: 0,
    color_space: gray ? 1 : 3, quant_table: 3, trellis_multipass: false, trellis_opt_zero: false, trellis_opt_table: false,
    trellis_loops: 1, auto_subsample: true, chroma_subsample: 2, separate_chroma_quality: false, chroma_quality: quality,
  };
  return Buffer.from((await jpegEncoder()).encode(rgba, width, height, options));
}

/** A solid-colour RGB image. */
export function solid(width: number, height: number, color: number[]): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) rgb.set(color, 3 * i);
  return rgb;
}
