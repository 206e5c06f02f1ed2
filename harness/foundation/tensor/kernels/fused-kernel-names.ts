/**
 * @module The names and attributes of rftbench's own fused kernels, apart from their code: their gradients are
 * registered by setup.ts, which every entry point imports (attacks/ too), and must not load the native module.
 */
import type { ConvAttrs } from './conv-geometry.ts';

/** conv → eval-mode BatchNorm (→ + residual) (→ ReLU) in one pass: conv2d-batch-norm.ts. */
export const CONV2D_BATCH_NORM = 'RftbenchConv2DBatchNorm';

export interface Conv2DBatchNormAttrs extends ConvAttrs {
  varianceEpsilon: number;
  /** ReLU after the BatchNorm (and after the residual, when there is one). */
  relu: boolean;
}

/** ReLU's gradient, then eval-mode BatchNorm's input gradient, in one pass: relu-batch-norm-grad.ts. */
export const RELU_BATCH_NORM_GRAD = 'RftbenchReluBatchNormGrad';
