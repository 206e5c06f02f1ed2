/**
 * @module Strided float copies running inside the wasm backend's own heap. The data movement of our
 * kernels (im2col for the filter gradient, interleaving the sub-pixel convolutions of the input
 * gradient, sub-filters) costs 4-5 ns per element as a JS loop here, about 1 ns as scalar wasm and
 * 0.3-0.5 ns as SIMD, and tfjs exposes no kernel for it; so we assemble a tiny wasm module (bytes
 * written by wasm-encoder.ts, no toolchain) that imports the backend's memory. Addresses and strides
 * are in bytes.
 */
import {
  bump,
  continueIfNonZero,
  countDown,
  f32Load,
  f32Store,
  funcBody,
  get,
  I32,
  i32,
  ifElse,
  loop,
  memoryCopy,
  moduleBytes,
  op,
  set,
  shuffleLanes,
  V128,
  v128Load,
  v128Store,
} from './wasm-encoder.ts';
import { heapMemory, WebAssemblyApi, type WasmBackend, type WasmMemory } from './wasm-internals.ts';

/** dst[i,j,k] = src[i,j,k] over an n0 x n1 x n2 block, each side with its own strides. */
export type Copy3d = (
  dst: number,
  src: number,
  n0: number,
  n1: number,
  n2: number,
  dstStride0: number,
  dstStride1: number,
  dstStride2: number,
  srcStride0: number,
  srcStride1: number,
  srcStride2: number,
) => void;

/**
 * Transposes 4x4 blocks: for channel group g < groups4, row r < rows, pixel group q < pixels4, the 4
 * channels of 4 pixels (src + g·16 + r·srcRow + (4q + j)·srcPixel, j < 4) become 4 runs of 4 pixels
 * (dst + (4g + k)·dstChannel + r·dstRow + q·16, k < 4). im2colᵀ of NHWC data with this is SIMD.
 */
export type Transpose4x4 = (
  dst: number,
  src: number,
  groups4: number,
  rows: number,
  pixels4: number,
  dstChannel: number,
  dstRow: number,
  srcPixel: number,
  srcRow: number,
) => void;

export interface StridedCopy {
  copy3d: Copy3d;
  transpose4x4: Transpose4x4;
}

function copy3dBody(): number[] {
  const [DST, SRC, N0, N1, N2, DS0, DS1, DS2, SS0, SS1, SS2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [D1, S1, I1, D2, S2, I2] = [11, 12, 13, 14, 15, 16];
  const element = [...get(D2), ...get(S2), ...f32Load, ...f32Store];
  const scalarRow = [
    ...get(D1),
    ...set(D2),
    ...get(S1),
    ...set(S2),
    ...get(N2),
    ...set(I2),
    ...loop(element, bump(D2, DS2), bump(S2, SS2), countDown(I2), continueIfNonZero),
  ];
  // Contiguous on both sides: one memory.copy per row.
  const contiguous = [...get(DS2), ...i32(4), op.eq, ...get(SS2), ...i32(4), op.eq, op.and];
  const rowCopy = [...get(D1), ...get(S1), ...get(N2), ...i32(4), op.mul, ...memoryCopy];
  const code = loop(
    get(DST),
    set(D1),
    get(SRC),
    set(S1),
    get(N1),
    set(I1),
    loop(ifElse(contiguous, rowCopy, scalarRow), bump(D1, DS1), bump(S1, SS1), countDown(I1), continueIfNonZero),
    bump(DST, DS0),
    bump(SRC, SS0),
    countDown(N0),
    continueIfNonZero,
  );
  return funcBody([[6, I32]], code);
}

function transpose4x4Body(): number[] {
  const [DST, SRC, G4, ROWS, P4, DCH, DROW, SPIX, SROW] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [D1, S1, I1, D2, S2, I2, ADDR, STEP] = [9, 10, 11, 12, 13, 14, 15, 16];
  const [R0, R1, R2, R3, T0, T1, T2, T3] = [17, 18, 19, 20, 21, 22, 23, 24];
  const load = (r: number) => [...get(ADDR), ...v128Load, ...set(r), ...bump(ADDR, SPIX)];
  const mix = (t: number, a: number, b: number, lanes: [number, number, number, number]) => [
    ...get(a),
    ...get(b),
    ...shuffleLanes(lanes),
    ...set(t),
  ];
  const store = (a: number, b: number, lanes: [number, number, number, number]) => [
    ...get(ADDR),
    ...get(a),
    ...get(b),
    ...shuffleLanes(lanes),
    ...v128Store,
    ...bump(ADDR, DCH),
  ];
  const block = [
    ...get(S2),
    ...set(ADDR),
    ...load(R0),
    ...load(R1),
    ...load(R2),
    ...load(R3),
    ...mix(T0, R0, R1, [0, 4, 1, 5]),
    ...mix(T1, R0, R1, [2, 6, 3, 7]),
    ...mix(T2, R2, R3, [0, 4, 1, 5]),
    ...mix(T3, R2, R3, [2, 6, 3, 7]),
    ...get(D2),
    ...set(ADDR),
    ...store(T0, T2, [0, 1, 4, 5]),
    ...store(T0, T2, [2, 3, 6, 7]),
    ...store(T1, T3, [0, 1, 4, 5]),
    ...store(T1, T3, [2, 3, 6, 7]),
  ];
  const code = [
    // STEP = 4 · srcPixel: the source advance per pixel group.
    ...get(SPIX),
    ...i32(2),
    op.shl,
    ...set(STEP),
    ...loop(
      get(DST),
      set(D1),
      get(SRC),
      set(S1),
      get(ROWS),
      set(I1),
      loop(
        get(D1),
        set(D2),
        get(S1),
        set(S2),
        get(P4),
        set(I2),
        loop(block, get(D2), i32(16), [op.add], set(D2), bump(S2, STEP), countDown(I2), continueIfNonZero),
        bump(D1, DROW),
        bump(S1, SROW),
        countDown(I1),
        continueIfNonZero,
      ),
      // Next channel group: dst moves 4 channel rows, src 4 floats.
      get(DST),
      get(DCH),
      i32(2),
      [op.shl, op.add],
      set(DST),
      get(SRC),
      i32(16),
      [op.add],
      set(SRC),
      countDown(G4),
      continueIfNonZero,
    ),
  ];
  return funcBody(
    [
      [8, I32],
      [8, V128],
    ],
    code,
  );
}

const instances = new WeakMap<WasmMemory, StridedCopy>();

function instantiate(memory: WasmMemory): StridedCopy {
  const bytes = moduleBytes(memory.buffer instanceof SharedArrayBuffer, [
    { name: 'copy3d', params: 11, body: copy3dBody() },
    { name: 'transpose4x4', params: 9, body: transpose4x4Body() },
  ]);
  const { exports } = new WebAssemblyApi.Instance(new WebAssemblyApi.Module(bytes), { env: { memory } });
  const copy3d = exports.copy3d as Copy3d;
  const transpose4x4 = exports.transpose4x4 as Transpose4x4;
  // The wasm loops run at least once per level: empty blocks never reach them.
  return {
    copy3d: (dst, src, n0, n1, n2, ...strides) => {
      if (n0 > 0 && n1 > 0 && n2 > 0) copy3d(dst, src, n0, n1, n2, ...strides);
    },
    transpose4x4: (dst, src, groups4, rows, pixels4, ...strides) => {
      if (groups4 > 0 && rows > 0 && pixels4 > 0) transpose4x4(dst, src, groups4, rows, pixels4, ...strides);
    },
  };
}

/** The strided copies bound to this backend's heap (one wasm instance per heap). */
export function stridedCopyFor(backend: WasmBackend): StridedCopy {
  const memory = heapMemory(backend);
  let f = instances.get(memory);
  if (!f) {
    f = instantiate(memory);
    instances.set(memory, f);
  }
  return f;
}

/** Just the 3-D copy (most callers). */
export function copy3dFor(backend: WasmBackend): Copy3d {
  return stridedCopyFor(backend).copy3d;
}
