/**
 * @module Conv2DBackpropInput for the wasm backend; the stock one is a plain C++ loop (~1 GMAC/s).
 * The native kernel (../native: dy·Wᵀ then a col2im scatter-add) computes it when loaded; otherwise:
 * Sub-pixel decomposition: the input rows with (iy + padTop) mod stride = r receive only the filter
 * rows ky ≡ r (mod stride), so each of the stride² residue classes of dx is a stride-1 convolution
 * of dy with a small flipped, in/out-swapped sub-filter, run by wasm's own XNNPACK Conv2D. The classes
 * are then interleaved into dx with the wasm strided copy. Same multiply-adds as the forward pass, no
 * im2col buffer and no scatter-add; stride 1 is the single-class case (no interleave).
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { convGeometry, type ConvAttrs, type ConvGeometry } from './conv-geometry.ts';
import { weightKey } from './weight-keys.ts';
import { nativeKernels } from '../native/native-kernels.ts';
import { geometryArray, nonEmpty } from './native-geometry.ts';
import { copy3dFor } from './strided-copy.ts';
import { call, heapFloats, heapOffset, Temps, type WasmBackend } from './wasm-internals.ts';

/** One axis of one residue class: which filter taps, which dx positions, which dy padding or crop. */
interface ClassAxis {
  /** Filter taps r, r + s, …: their count. */
  taps: number;
  /** dx positions s·q + r − pad for q in [q0, q0 + count). */
  q0: number;
  count: number;
  /** Padding of dy before the stride-1 convolution, and rows/columns cropped off it when negative. */
  padBefore: number;
  padAfter: number;
  cropBefore: number;
  cropAfter: number;
}

function classAxis(r: number, k: number, s: number, pad: number, inSize: number, outSize: number): ClassAxis {
  const taps = r < k ? Math.ceil((k - r) / s) : 0;
  const q0 = Math.ceil((pad - r) / s);
  const count = Math.floor((inSize - 1 + pad - r) / s) - q0 + 1;
  const before = taps - 1 - q0;
  const after = q0 + count - outSize;
  return {
    taps,
    q0,
    count,
    padBefore: Math.max(0, before),
    padAfter: Math.max(0, after),
    cropBefore: Math.max(0, -before),
    cropAfter: Math.max(0, -after),
  };
}

/** Sub-filter [ty, tx, co, ci]: taps (ry + s·j, rx + s·i) in reverse order, each [ci, co] block transposed. */
function subFilter(
  b: WasmBackend,
  filter: TensorInfo,
  g: ConvGeometry,
  ry: number,
  rx: number,
  ty: number,
  tx: number,
): TensorInfo {
  const { kw, ci, co, sh, sw } = g;
  const out = b.makeOutput([ty, tx, co, ci], 'float32');
  const copy3d = copy3dFor(b);
  const dst = heapOffset(b, out);
  const src = heapOffset(b, filter);
  for (let j = 0; j < ty; j++) {
    for (let i = 0; i < tx; i++) {
      const ky = ry + sh * (ty - 1 - j);
      const kx = rx + sw * (tx - 1 - i);
      copy3d(
        dst + 4 * (j * tx + i) * co * ci,
        src + 4 * (ky * kw + kx) * ci * co,
        1,
        co,
        ci,
        0,
        4 * ci,
        4,
        0,
        4,
        4 * co,
      );
    }
  }
  return out;
}

/** The stride-1 convolution giving one residue class of dx: [n, y.count, x.count, ci]. */
function classConv(
  b: WasmBackend,
  temps: Temps,
  dy: TensorInfo,
  filter: TensorInfo,
  g: ConvGeometry,
  ry: number,
  rx: number,
  y: ClassAxis,
  x: ClassAxis,
): TensorInfo {
  const f = temps.add(subFilter(b, filter, g, ry, rx, y.taps, x.taps));
  let input = dy;
  if (y.cropBefore || y.cropAfter || x.cropBefore || x.cropAfter) {
    const size = [g.n, g.oh - y.cropBefore - y.cropAfter, g.ow - x.cropBefore - x.cropAfter, g.co];
    input = temps.add(call('Slice', b, { x: dy }, { begin: [0, y.cropBefore, x.cropBefore, 0], size }));
  }
  return call(
    'Conv2D',
    b,
    { x: input, filter: f },
    {
      strides: [1, 1],
      pad: [
        [0, 0],
        [y.padBefore, y.padAfter],
        [x.padBefore, x.padAfter],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dilations: [1, 1],
    },
  );
}

/** Copies one residue class [n, y.count, x.count, ci] into its rows and columns of dx. */
function interleave(
  b: WasmBackend,
  dx: TensorInfo,
  part: TensorInfo,
  g: ConvGeometry,
  ry: number,
  rx: number,
  y: ClassAxis,
  x: ClassAxis,
): void {
  const { n, h, w, ci, sh, sw } = g;
  const copy3d = copy3dFor(b);
  const dst = heapOffset(b, dx) + 4 * ((sh * y.q0 + ry - g.top) * w + sw * x.q0 + rx - g.left) * ci;
  const src = heapOffset(b, part);
  for (let img = 0; img < n; img++) {
    copy3d(
      dst + 4 * img * h * w * ci,
      src + 4 * img * y.count * x.count * ci,
      y.count,
      x.count,
      ci,
      4 * sh * w * ci,
      4 * sw * ci,
      4,
      4 * x.count * ci,
      4 * ci,
      4,
    );
  }
}

export const conv2dBackpropInputConfig: KernelConfig = {
  kernelName: 'Conv2DBackpropInput',
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
    const a = attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
    const g = convGeometry('Conv2DBackpropInput', a.inputShape, filter.shape, a);
    const b = backend as unknown as WasmBackend;
    const native = nativeKernels();
    if (native && nonEmpty(g)) {
      const dx = b.makeOutput([g.n, g.h, g.w, g.ci], 'float32');
      native.conv2dBackpropInput(
        heapFloats(b),
        heapOffset(b, dy),
        heapOffset(b, filter),
        heapOffset(b, dx),
        geometryArray(g),
        weightKey(b, filter),
      );
      return dx;
    }
    const { n, h, w, ci, sh, sw } = g;
    const classes: { ry: number; rx: number; y: ClassAxis; x: ClassAxis }[] = [];
    let someZero = false;
    for (let ry = 0; ry < sh; ry++) {
      const y = classAxis(ry, g.kh, sh, g.top, h, g.oh);
      if (y.count <= 0) continue;
      for (let rx = 0; rx < sw; rx++) {
        const x = classAxis(rx, g.kw, sw, g.left, w, g.ow);
        if (x.count <= 0) continue;
        const empty =
          y.taps === 0 ||
          x.taps === 0 ||
          g.oh - y.cropBefore - y.cropAfter <= 0 ||
          g.ow - x.cropBefore - x.cropAfter <= 0;
        if (empty || n === 0 || g.co === 0) someZero = true;
        else classes.push({ ry, rx, y, x });
      }
    }
    const temps = new Temps(b);
    try {
      // Stride 1: the one class is dx itself.
      if (classes.length === 1 && !someZero && sh === 1 && sw === 1) {
        const { ry, rx, y, x } = classes[0];
        return classConv(b, temps, dy, filter, g, ry, rx, y, x);
      }
      const dx = b.makeOutput([n, h, w, ci], 'float32');
      try {
        if (someZero) b.typedArrayFromHeap(dx).fill(0);
        for (const { ry, rx, y, x } of classes)
          interleave(b, dx, temps.add(classConv(b, temps, dy, filter, g, ry, rx, y, x)), g, ry, rx, y, x);
      } catch (err) {
        b.disposeData(dx.dataId);
        throw err;
      }
      return dx;
    } finally {
      temps.dispose();
    }
  },
};
