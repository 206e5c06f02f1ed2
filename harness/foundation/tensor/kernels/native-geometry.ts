/** @module What our convolution kernels hand the native module: the geometry, packed, and when they may. */
import type { ConvGeometry } from './conv-geometry.ts';

/** The 13 numbers conv_gemm.cc reads, in its order. */
export function geometryArray(g: ConvGeometry): Int32Array {
  return Int32Array.of(g.n, g.h, g.w, g.ci, g.co, g.kh, g.kw, g.sh, g.sw, g.oh, g.ow, g.top, g.left);
}

/**
 * Every extent is a positive integer. BLAS rejects zero leading dimensions, and tfjs lets a numeric
 * padding without a rounding mode give fractional output sizes; both stay on the wasm kernels.
 */
export function nonEmpty(g: ConvGeometry): boolean {
  return (
    Object.values(g).every((v) => Number.isInteger(v)) &&
    g.n > 0 &&
    g.h > 0 &&
    g.w > 0 &&
    g.ci > 0 &&
    g.co > 0 &&
    g.oh > 0 &&
    g.ow > 0
  );
}
