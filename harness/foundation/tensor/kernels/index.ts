/**
 * @module The kernels rftbench registers on the wasm backend, each tested against the cpu backend
 * (test/harness/foundation/tensor). Conv2D and both conv gradients hand their work to the native OpenBLAS
 * kernels when those are built (../native), training BatchNorm runs as two native kernels of ours, and an SGD step as one. Missing in wasm: Conv2DBackpropFilter. Replaced because the stock one is a
 * slow loop: Conv2DBackpropInput, BatchMatMul with a transposed operand, Tile, Sum/Mean over leading axes, FusedBatchNorm,
 * Slice of rank <= 4; because it copies:
 * Identity, Cast to the same dtype; because it is wrong: MaxPoolGrad (all-negative windows; native where built), Cast to
 * bool. Stock kernels stay registered under the hood for the cases ours hand back.
 */
import { getKernel, registerKernel, unregisterKernel, type KernelConfig } from '@tensorflow/tfjs-core';
import { batchMatMulConfig } from './batch-mat-mul.ts';
import { batchNormTrainConfig, batchNormTrainGradConfig } from './batch-norm-train.ts';
import { conv2dConfig } from './conv2d.ts';
import { conv2dBatchNormConfig } from './conv2d-batch-norm.ts';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter.ts';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input.ts';
import { fusedBatchNormConfig } from './fused-batch-norm.ts';
import { castConfig, identityConfig } from './identity.ts';
import { maxPoolGradConfig } from './max-pool-grad.ts';
import { meanConfig, sumConfig } from './reduce-leading-axes.ts';
import { reluBatchNormGradConfig } from './relu-batch-norm-grad.ts';
import { runningStatsConfig } from './running-stats.ts';
import { sgdStepConfig } from './sgd-step.ts';
import { sliceConfig } from './slice.ts';
import { tileConfig } from './tile.ts';
import { rememberStock } from './wasm-internals.ts';

export const WASM_KERNELS: KernelConfig[] = [
  conv2dConfig,
  conv2dBatchNormConfig,
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  tileConfig,
  sumConfig,
  meanConfig,
  identityConfig,
  castConfig,
  fusedBatchNormConfig,
  maxPoolGradConfig,
  batchNormTrainConfig,
  batchNormTrainGradConfig,
  batchMatMulConfig,
  reluBatchNormGradConfig,
  sgdStepConfig,
  sliceConfig,
  runningStatsConfig,
];

/** Registers our wasm kernels, replacing stock ones of the same name (kept for delegation); returns their names. */
export function registerWasmKernels(): string[] {
  for (const k of WASM_KERNELS) {
    const current = getKernel(k.kernelName, 'wasm');
    if (current === k) continue;
    if (current) {
      rememberStock(current);
      unregisterKernel(k.kernelName, 'wasm');
    }
    registerKernel(k);
  }
  return WASM_KERNELS.map((c) => c.kernelName);
}
