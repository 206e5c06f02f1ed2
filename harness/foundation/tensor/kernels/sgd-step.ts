/**
 * @module One torch.optim.SGD step of one parameter as a single native pass (../native/sgd.cc), used by
 * nn/optim.ts's SGD on the wasm backend when the native kernels are loaded: the composite's up to seven
 * element-wise kernels per parameter (weight decay, momentum, nesterov, the update) become one read of w,
 * the gradient and the buffer and one write of the new w and buffer, with the same roundings.
 */
import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core';
import { nativeKernels } from '../native/native-kernels.ts';
import { heapFloats, heapOffset, type WasmBackend } from './wasm-internals.ts';

export const SGD_STEP = 'RftbenchSgdStep';

/** SGD's options as the kernel takes them (dampening as 1 − dampening, as the composite multiplies). */
export interface SgdStepAttrs {
  weightDecay: number;
  momentum: number;
  dampening: number;
  lr: number;
  nesterov: boolean;
  maximize: boolean;
}

export const sgdStepConfig: KernelConfig = {
  kernelName: SGD_STEP,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { w, grad, buf } = inputs as { w: TensorInfo; grad: TensorInfo; buf?: TensorInfo };
    const a = attrs as unknown as SgdStepAttrs;
    const native = nativeKernels();
    if (!native) throw new Error(`${SGD_STEP}: needs the native kernels (harness/foundation/tensor/native)`);
    for (const [name, t] of Object.entries({ w, grad, buf }))
      if (t && (t.dtype !== 'float32' || !util.arraysEqual(t.shape, w.shape)))
        throw new Error(`${SGD_STEP}: ${name} must be float32 of w's shape [${w.shape}], got ${t.dtype} [${t.shape}]`);
    const b = backend as unknown as WasmBackend;
    const withMomentum = a.momentum !== 0;
    const wOut = b.makeOutput([...w.shape], 'float32');
    const bufOut = withMomentum ? b.makeOutput([...w.shape], 'float32') : undefined;
    const offsetOf = (t: TensorInfo | undefined) => (t ? heapOffset(b, t) : -1);
    const offsets = Float64Array.from([w, grad, buf, wOut, bufOut].map(offsetOf));
    const flag = (on: boolean) => (on ? 1 : 0);
    const coefficients = Float64Array.of(
      a.weightDecay,
      a.momentum,
      1 - a.dampening,
      a.lr,
      flag(a.weightDecay !== 0),
      flag(withMomentum),
      flag(a.nesterov),
      flag(a.maximize),
    );
    const n = util.sizeFromShape(w.shape);
    if (n > 0) native.sgdStep(heapFloats(b), offsets, n, coefficients);
    return bufOut ? [wOut, bufOut] : [wOut];
  },
};
