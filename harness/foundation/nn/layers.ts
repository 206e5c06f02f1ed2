/**
 * @module All layers, NHWC with PyTorch semantics and parameter names. Weights are stored in tfjs
 * layout (conv HWIO, linear [in, out]); `layout.ts` says how PyTorch stores them.
 */
export { Conv2d, conv2dOp, convOutputSize, type Conv2dOptions } from './conv.ts';
export { Linear, type LinearOptions } from './linear.ts';
export { BatchNorm2d, batchNormTrain, type BatchNormOptions } from './batchnorm.ts';
export { Identity, LeakyReLU, ReLU } from './activation.ts';
export { AdaptiveAvgPool, AvgPool2d, Flatten, MaxPool2d } from './pooling.ts';
/** Former name of AdaptiveAvgPool, kept for callers written against it. */
export { AdaptiveAvgPool as GlobalAvgPool } from './pooling.ts';
export { Sequential } from './container.ts';
export { Normalize } from './normalize.ts';
export { torchLayoutOf, torchShape, toTorch, fromTorch, type TorchLayout, type TorchLayoutTable } from './layout.ts';
