/**
 * @module Conv2D for the wasm backend: the native im2col + OpenBLAS kernel when it is loaded (ResNet-18's
 * 3x3 convolutions at batch 32: ~170 GFLOP/s on two cores, XNNPACK's wasm SIMD ~40), else wasm's own
 * XNNPACK kernel.
 */
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { weightKey } from './weight-keys.ts';
import { nativeKernels } from '../native/native-kernels.ts';
import { convGeometry, unitDilation, type ConvAttrs } from './conv-geometry.ts';
import { geometryArray, nonEmpty } from './native-geometry.ts';
import { heapFloats, heapOffset, stockKernel, stockSetup, type WasmBackend } from './wasm-internals.ts';

export const conv2dConfig: KernelConfig = {
  kernelName: 'Conv2D',
  backendName: 'wasm',
  setupFunc: stockSetup('Conv2D'),
  kernelFunc: (args) => {
    const { x, filter } = args.inputs as { x: TensorInfo; filter: TensorInfo };
    const a = args.attrs as unknown as ConvAttrs;
    const native = nativeKernels();
    if (!native || a.dataFormat === 'NCHW' || !unitDilation(a.dilations) || x.dtype !== 'float32')
      return stockKernel('Conv2D').kernelFunc(args);
    const g = convGeometry('Conv2D', x.shape, filter.shape, a);
    if (!nonEmpty(g)) return stockKernel('Conv2D').kernelFunc(args);
    const b = args.backend as unknown as WasmBackend;
    const y = b.makeOutput([g.n, g.oh, g.ow, g.co], 'float32');
    const at = (t: TensorInfo) => heapOffset(b, t);
    native.conv2d(heapFloats(b), at(x), at(filter), at(y), geometryArray(g), weightKey(b, filter));
    return y;
  },
};
