/**
 * Test helpers that write torch-format bytes by hand (no Python at test time): protocol-2 pickle
 * fragments, legacy torch.save files around a main pickle, and a ZIP64 rewrite of a zip archive.
 */
import { readZip } from '../../../../harness/foundation/checkpoint/torch/zip.ts';

const enc = new TextEncoder();

export function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** Pickle opcodes as byte fragments. */
export const P = {
  proto: [0x80, 0x02],
  stop: [0x2e],
  mark: [0x28],
  tuple: [0x74],
  tuple1: [0x85],
  tuple2: [0x86],
  emptyTuple: [0x29],
  emptyDict: [0x7d],
  emptyList: [0x5d],
  setitems: [0x75],
  reduce: [0x52],
  build: [0x62],
  binpersid: [0x51],
  none: [0x4e],
  newfalse: [0x89],
  str: (s: string) => {
    const b = enc.encode(s);
    return concat([0x58], u32(b.length), b);
  },
  global: (module: string, name: string) => concat([0x63], enc.encode(`${module}\n${name}\n`)),
  int1: (n: number) => [0x4b, n],
  /** BINFLOAT: big-endian double. */
  float: (x: number) => {
    const b = new Uint8Array(9);
    b[0] = 0x47;
    new DataView(b.buffer).setFloat64(1, x, false);
    return b;
  },
};

/** A whole protocol-2 pickle of `body` (which must leave one value on the stack). */
export function pickle(...body: (Uint8Array | number[])[]): Uint8Array {
  return concat(P.proto, ...body, P.stop);
}

/** `_rebuild_tensor_v2` of a float32 legacy storage `key` (numel elements), size/stride given. */
export function tensorPickle(key: string, numel: number, size: number[], stride: number[]): Uint8Array {
  const ints = (xs: number[]) => concat(P.mark, ...xs.map(P.int1), P.tuple);
  return concat(
    P.global('torch._utils', '_rebuild_tensor_v2'),
    P.mark,
    P.mark,
    P.str('storage'),
    P.global('torch', 'FloatStorage'),
    P.str(key),
    P.str('cpu'),
    P.int1(numel),
    P.none,
    P.tuple,
    P.binpersid,
    P.int1(0),
    ints(size),
    ints(stride),
    P.newfalse,
    P.global('collections', 'OrderedDict'),
    P.emptyTuple,
    P.reduce,
    P.tuple,
    P.reduce,
  );
}

/**
 * A legacy torch.save file: magic, protocol 1001, sys_info, `main`, the storage keys, then each
 * storage as int64 element count + float32 data.
 */
export function legacyFile(
  main: Uint8Array,
  storages: { key: string; values: number[] }[] = [],
  magicLow = 0x6c,
): Uint8Array {
  const magic = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
  magic[0] = magicLow;
  const keys = pickle(P.emptyList, P.mark, ...storages.map((s) => P.str(s.key)), [0x65]); // APPENDS
  const data = storages.map((s) => {
    const count = new Uint8Array(8);
    new DataView(count.buffer).setBigInt64(0, BigInt(s.values.length), true);
    return concat(count, new Uint8Array(Float32Array.from(s.values).buffer));
  });
  return concat(
    pickle([0x8a, 10], magic), // LONG1
    pickle([0x4d, 0xe9, 0x03]), // BININT2 1001
    pickle(P.emptyDict, P.mark, P.str('little_endian'), [0x88], P.setitems),
    main,
    keys,
    ...data,
  );
}

/**
 * Rewrites a zip archive in ZIP64 form: every central entry's sizes and local-header offset become
 * 0xffffffff with the real values in a 0x0001 extra field, and a ZIP64 end record + locator precede
 * the classic end record (whose counts and offsets become 0xffff/0xffffffff).
 */
export function toZip64(bytes: Uint8Array): Uint8Array {
  const zip = readZip(bytes, 'source');
  const entries = [...zip.entries.values()];
  const cdStart = findCentralStart(bytes);
  const body = bytes.subarray(0, cdStart);
  const central = entries.map((e) => {
    const name = enc.encode(e.name);
    const h = new DataView(new ArrayBuffer(46));
    h.setUint32(0, 0x02014b50, true);
    h.setUint16(4, 45, true);
    h.setUint16(6, 45, true);
    h.setUint16(10, e.method, true);
    h.setUint32(16, e.crc, true);
    h.setUint32(20, 0xffffffff, true);
    h.setUint32(24, 0xffffffff, true);
    h.setUint16(28, name.length, true);
    h.setUint16(30, 28, true);
    h.setUint32(42, 0xffffffff, true);
    const extra = new DataView(new ArrayBuffer(28));
    extra.setUint16(0, 0x0001, true);
    extra.setUint16(2, 24, true);
    extra.setBigUint64(4, BigInt(e.size), true);
    extra.setBigUint64(12, BigInt(e.compressedSize), true);
    extra.setBigUint64(20, BigInt(e.localHeaderOffset), true);
    return concat(new Uint8Array(h.buffer), name, new Uint8Array(extra.buffer));
  });
  const cd = concat(...central);
  const z64 = new DataView(new ArrayBuffer(56));
  z64.setUint32(0, 0x06064b50, true);
  z64.setBigUint64(4, 44n, true);
  z64.setBigUint64(24, BigInt(entries.length), true);
  z64.setBigUint64(32, BigInt(entries.length), true);
  z64.setBigUint64(40, BigInt(cd.length), true);
  z64.setBigUint64(48, BigInt(cdStart), true);
  const locator = new DataView(new ArrayBuffer(20));
  locator.setUint32(0, 0x07064b50, true);
  locator.setBigUint64(8, BigInt(cdStart + cd.length), true);
  locator.setUint32(16, 1, true);
  const eocd = new DataView(new ArrayBuffer(22));
  eocd.setUint32(0, 0x06054b50, true);
  eocd.setUint16(8, 0xffff, true);
  eocd.setUint16(10, 0xffff, true);
  eocd.setUint32(12, 0xffffffff, true);
  eocd.setUint32(16, 0xffffffff, true);
  return concat(body, cd, new Uint8Array(z64.buffer), new Uint8Array(locator.buffer), new Uint8Array(eocd.buffer));
}

/** The classic end record's central-directory offset. */
function findCentralStart(bytes: Uint8Array): number {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = bytes.length - 22; at >= 0; at--) {
    if (v.getUint32(at, true) === 0x06054b50) return v.getUint32(at + 16, true);
  }
  throw new Error('no end record');
}
