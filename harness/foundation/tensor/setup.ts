/**
 * @module Side-effect setup tfjs-core needs before any gradient: the gradient registry (without it
 * tf.grad fails with "gradient function not found for Sum") and the chained tensor methods. tfjs-core's
 * own registration files are ES modules that Node cannot load beside its CommonJS build (they would
 * make a second engine), so we take them from the @tensorflow/tfjs bundle, which registers them into
 * the one @tensorflow/tfjs-core everyone imports. Imported by the backend, the module system and the
 * attacks, so any entry point has them.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs';
import { registerConv2DBatchNormGrad } from './gradients/conv2d-batch-norm-grad.ts';
import { registerFusedBatchNormGrad } from './gradients/fused-batch-norm-grad.ts';

// After tfjs's own registrations, so ours replaces theirs.
registerFusedBatchNormGrad();
registerConv2DBatchNormGrad();

// Production mode: no per-op debug checks, and no "install tfjs-node" banner on the first cpu tensor
// (the backend selection says which backend loaded and why).
tf.enableProdMode();
