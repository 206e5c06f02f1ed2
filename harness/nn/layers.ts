/**
 * @module Layers over tfjs-core ops, NHWC, with PyTorch semantics and parameter names. Weights are
 * stored in tfjs layout (conv HWIO, linear [in, out]); checkpoints convert to PyTorch's OIHW / [out, in].
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.ts';

/** PyTorch's default init (kaiming_uniform with a = sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)). */
function uniformInit(shape: number[], fanIn: number, seed: number): tf.Tensor {
  const bound = 1 / Math.sqrt(fanIn);
  return tf.randomUniform(shape, -bound, bound, 'float32', seed);
}

export interface Conv2dOptions {
  stride?: number;
  padding?: number;
  bias?: boolean;
  seed?: number;
}

export class Conv2d extends Module {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;
  readonly stride: number;
  readonly padding: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize: number,
    { stride = 1, padding = 0, bias = true, seed = 0 }: Conv2dOptions = {},
  ) {
    super();
    this.stride = stride;
    this.padding = padding;
    const fanIn = inChannels * kernelSize * kernelSize;
    this.weight = this.registerParameter('weight', uniformInit([kernelSize, kernelSize, inChannels, outChannels], fanIn, seed));
    if (bias) this.bias = this.registerParameter('bias', uniformInit([outChannels], fanIn, seed + 1));
  }

  forward(x: tf.Tensor): tf.Tensor4D {
    return conv2dOp(x as tf.Tensor4D, this.weight as tf.Tensor4D, this.stride, this.padding, this.bias as tf.Tensor1D | undefined);
  }
}

/** PyTorch-style symmetric zero padding; the weight may be a derived tensor (spectral norm). */
export function conv2dOp(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, padding: number, bias?: tf.Tensor1D): tf.Tensor4D {
  const pad = padding === 0 ? 'valid' : padding;
  const y = tf.conv2d(x, w, stride, pad);
  return bias ? tf.add(y, bias) : y;
}

export class Linear extends Module {
  readonly weight: tf.Variable;
  readonly bias?: tf.Variable;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    { bias = true, seed = 0 }: { bias?: boolean; seed?: number } = {},
  ) {
    super();
    this.weight = this.registerParameter('weight', uniformInit([inFeatures, outFeatures], inFeatures, seed));
    if (bias) this.bias = this.registerParameter('bias', uniformInit([outFeatures], inFeatures, seed + 1));
  }

  forward(x: tf.Tensor): tf.Tensor2D {
    const y: tf.Tensor2D = tf.matMul(x as tf.Tensor2D, this.weight as tf.Tensor2D);
    return this.bias ? tf.add(y, this.bias) : y;
  }
}

/**
 * BatchNorm2d as PyTorch: batch statistics (biased variance) in training, running statistics updated
 * with momentum 0.1 and the UNBIASED variance; running statistics in eval mode.
 */
export class BatchNorm2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly numBatchesTracked: tf.Variable;

  constructor(
    readonly numFeatures: number,
    readonly options: { momentum?: number; eps?: number } = {},
  ) {
    super();
    this.weight = this.registerParameter('weight', tf.ones([numFeatures]));
    this.bias = this.registerParameter('bias', tf.zeros([numFeatures]));
    this.runningMean = this.registerBuffer('running_mean', tf.zeros([numFeatures]));
    this.runningVar = this.registerBuffer('running_var', tf.ones([numFeatures]));
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', tf.scalar(0, 'int32'));
  }

  get momentum(): number {
    return this.options.momentum ?? 0.1;
  }

  get eps(): number {
    return this.options.eps ?? 1e-5;
  }

  forward(x: tf.Tensor): tf.Tensor4D {
    if (!this.training) return this.normalize(x as tf.Tensor4D, this.runningMean, this.runningVar, this.weight, this.bias);
    return batchNormTrain(x as tf.Tensor4D, this.weight, this.bias, this.eps, (mean, variance) =>
      this.updateRunningStats(mean, variance, x.size / this.numFeatures),
    );
  }

  normalize(x: tf.Tensor4D, mean: tf.Tensor, variance: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor4D {
    return tf.batchNorm(x, mean as tf.Tensor1D, variance as tf.Tensor1D, bias as tf.Tensor1D, weight as tf.Tensor1D, this.eps);
  }

  /** Running statistics follow PyTorch: momentum-weighted, with the unbiased (n / (n - 1)) variance. */
  protected updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    const m = this.momentum;
    const unbiased = count > 1 ? count / (count - 1) : 1;
    tf.tidy(() => {
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(variance, m * unbiased)));
      this.numBatchesTracked.assign(tf.add(this.numBatchesTracked, tf.scalar(1, 'int32')));
    });
  }
}

/**
 * Training-mode batch normalisation with a hand-written gradient: tfjs's generic one spends ~15
 * full-size element-wise kernels per layer; this needs two reductions and five element-wise ops:
 * dx = w/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)), dw = Σ dy · x̂, db = Σ dy.
 */
export function batchNormTrain(
  x: tf.Tensor4D,
  weight: tf.Tensor,
  bias: tf.Tensor,
  eps: number,
  onStats: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
): tf.Tensor4D {
  const f = tf.customGrad(((xIn: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const { mean, variance } = tf.moments(xIn, [0, 1, 2]);
    onStats(mean as tf.Tensor1D, variance as tf.Tensor1D);
    const invStd = tf.rsqrt(tf.add(variance, eps));
    const xHat = tf.mul(tf.sub(xIn, mean), invStd);
    save([xHat, invStd, w]);
    return {
      value: tf.add(tf.mul(xHat, w), b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = dy as tf.Tensor;
        const [xh, inv, wt] = saved;
        const count = g.size / g.shape[g.shape.length - 1];
        const db = tf.sum(g, [0, 1, 2]);
        const dw = tf.sum(tf.mul(g, xh), [0, 1, 2]);
        const centred = tf.sub(tf.sub(g, tf.div(db, count)), tf.mul(xh, tf.div(dw, count)));
        return [tf.mul(centred, tf.mul(wt, inv)), dw, db];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, weight, bias) as tf.Tensor4D;
}

export class ReLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }
}

export class LeakyReLU extends Module {
  constructor(readonly slope = 0.01) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.leakyRelu(x, this.slope);
  }
}

export class Identity extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return x;
  }
}

export class MaxPool2d extends Module {
  constructor(
    readonly kernel: number,
    readonly stride = kernel,
    readonly padding = 0,
  ) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    const padded = this.padding ? tf.pad(x, [[0, 0], [this.padding, this.padding], [this.padding, this.padding], [0, 0]], -Infinity) : x;
    return tf.maxPool(padded as tf.Tensor4D, this.kernel, this.stride, 'valid');
  }
}

export class AvgPool2d extends Module {
  constructor(
    readonly kernel: number,
    readonly stride = kernel,
  ) {
    super();
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.avgPool(x as tf.Tensor4D, this.kernel, this.stride, 'valid');
  }
}

/** Global average pooling to [N, C] (PyTorch's AdaptiveAvgPool2d(1) + flatten). */
export class GlobalAvgPool extends Module {
  forward(x: tf.Tensor): tf.Tensor2D {
    return tf.mean(x, [1, 2]) as tf.Tensor2D;
  }
}

export class Flatten extends Module {
  forward(x: tf.Tensor): tf.Tensor2D {
    return tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
  }
}

/** Children named '0', '1', … as torch.nn.Sequential. */
export class Sequential extends Module {
  private readonly items: string[] = [];
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      this.registerModule(String(i), m);
      this.items.push(String(i));
    });
  }
  forward(x: tf.Tensor): tf.Tensor {
    let y = x;
    // Look children up by name each call: replace() may have swapped one.
    for (const name of this.items) y = this.child(name)!.forward(y);
    return y;
  }
}

/** Per-channel (x - mean) / std as the model's first module; constants, not state (PyTorch checkpoints lack them). */
export class Normalize extends Module {
  private readonly scale: number[];
  private readonly shift: number[];
  constructor(
    readonly mean: readonly number[],
    readonly std: readonly number[],
  ) {
    super();
    this.scale = std.map((s) => 1 / s);
    this.shift = mean.map((m, i) => -m / std[i]);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(tf.mul(x, tf.tensor1d(this.scale)), tf.tensor1d(this.shift)));
  }
}
