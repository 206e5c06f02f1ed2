/**
 * @module BatchMatMul for the wasm backend. The stock kernel hands only untransposed operands to XNNPACK and
 * multiplies transposed ones in a scalar triple loop (~1 GFLOP/s here): a linear layer's input and weight
 * gradients are such products, 6.4 ms of ResNet-50's 64 px PGD step for its 16x2048x200 classifier. Ours
 * transposes the operand first with a strided copy (the stock Transpose kernel took 4.1 ms on that 2048x200
 * weight, the copy ~0.4) and hands XNNPACK the plain product.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { stridedCopyFor } from './strided-copy.ts';
import { heapOffset, stockKernel, stockSetup, Temps, type WasmBackend } from './wasm-internals.ts';

interface Attrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** t with its last two axes swapped, as a new tensor: [..., r, c] -> [..., c, r]. */
function transposed(backend: WasmBackend, t: TensorInfo): TensorInfo {
  const rank = t.shape.length;
  const [r, c] = t.shape.slice(rank - 2);
  const batch = t.shape.slice(0, rank - 2).reduce((a, d) => a * d, 1);
  const out = backend.makeOutput([...t.shape.slice(0, rank - 2), c, r], 'float32');
  // Writes run along dst's rows (4-byte steps), reads step down src's columns.
  stridedCopyFor(backend).copy3d(
    heapOffset(backend, out),
    heapOffset(backend, t),
    batch,
    c,
    r,
    4 * r * c,
    4 * r,
    4,
    4 * r * c,
    4,
    4 * c,
  );
  return out;
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: 'BatchMatMul',
  backendName: 'wasm',
  setupFunc: stockSetup('BatchMatMul'),
  kernelFunc: (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as Attrs;
    if ((!transposeA && !transposeB) || a.dtype !== 'float32' || b.dtype !== 'float32')
      return stockKernel('BatchMatMul').kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    const temps = new Temps(backend);
    const product = (x: TensorInfo, y: TensorInfo) =>
      stockKernel('BatchMatMul').kernelFunc({
        ...args,
        inputs: { a: x, b: y },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      }) as TensorInfo;
    const plain = (t: TensorInfo, swap: boolean) => (swap ? temps.add(transposed(backend, t)) : t);
    try {
      // A·Bᵀ = (B·Aᵀ)ᵀ: with a large B (a linear layer's weight) and a small A (a batch of gradients), moving A and
      // the product costs less than moving B.
      const [m, k] = a.shape;
      const n = b.shape[0];
      if (!transposeA && a.shape.length === 2 && b.shape.length === 2 && m * (k + n) < n * k)
        return transposed(backend, temps.add(product(b, plain(a, true))));
      return product(plain(a, transposeA), plain(b, transposeB));
    } finally {
      temps.dispose();
    }
  },
};
