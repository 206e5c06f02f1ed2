/**
 * @module BatchNorm2d with PyTorch's semantics and state-dict names (`weight`, `bias`, `running_mean`,
 * `running_var`, `num_batches_tracked` as an int32 scalar).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  BATCH_NORM_TRAIN,
  BATCH_NORM_TRAIN_GRAD,
  type BatchNormTrainAttrs,
  type BatchNormTrainGradAttrs,
} from '../tensor/kernels/batch-norm-train.ts';
import { RUNNING_STATS, type RunningStatsAttrs } from '../tensor/kernels/running-stats.ts';
import { nativeKernels } from '../tensor/native/native-kernels.ts';
import { Module } from './module.ts';

export interface BatchNormOptions {
  /** Weight of the new batch in the running statistics. @default 0.1 */
  readonly momentum?: number;
  /** @default 1e-5 */
  readonly eps?: number;
}

/**
 * Training mode normalises with the batch statistics (biased variance) and moves the running
 * statistics by `momentum` towards the batch mean and the UNBIASED variance (n / (n - 1)); eval mode
 * normalises with the running statistics and changes nothing. The update happens inside forward, also
 * when forward runs under tf.grad / tf.variableGrads (it is not part of the gradient).
 */
export class BatchNorm2d extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  readonly numBatchesTracked: tf.Variable;

  constructor(
    readonly numFeatures: number,
    readonly options: BatchNormOptions = {},
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
    return this.forwardWith(x);
  }

  /**
   * relu(this.forward(x) + residual), ReLU when `relu`, the residual when given. In training mode with the native
   * kernels the epilogue runs inside the BatchNorm kernels (same bits as the separate Add and Relu, one pass fewer
   * each way); otherwise it is those ops.
   */
  forwardWith(x: tf.Tensor, epilogue: TrainEpilogue = {}): tf.Tensor4D {
    if (!this.training)
      return withEpilogue(
        this.normalize(x as tf.Tensor4D, this.runningMean, this.runningVar, this.weight, this.bias),
        epilogue,
      );
    const count = x.size / this.numFeatures;
    // PyTorch refuses too: the unbiased variance of one value is undefined.
    if (count <= 1)
      throw new Error(
        `BatchNorm2d: expected more than 1 value per channel when training, got input shape [${x.shape.join(', ')}]`,
      );
    return batchNormTrain(
      x as tf.Tensor4D,
      this.weight,
      this.bias,
      this.eps,
      (mean, variance) => this.updateRunningStats(mean, variance, count),
      epilogue,
    );
  }

  /** Eval-mode normalisation with given statistics (TWINS' frozen wing reuses it). */
  normalize(x: tf.Tensor4D, mean: tf.Tensor, variance: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor): tf.Tensor4D {
    return tf.batchNorm(
      x,
      mean as tf.Tensor1D,
      variance as tf.Tensor1D,
      bias as tf.Tensor1D,
      weight as tf.Tensor1D,
      this.eps,
    );
  }

  /** running = (1 - momentum) * running + momentum * batch, with the unbiased batch variance. */
  protected updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    const m = this.momentum;
    const unbiased = count / (count - 1);
    if (tf.getBackend() === 'wasm' && tf.getKernel(RUNNING_STATS, 'wasm')) {
      // One kernel instead of seven and their assigns (tensor/kernels/running-stats.ts), the same bits.
      const inputs = { runningMean: this.runningMean, runningVar: this.runningVar, mean, variance };
      const attrs: RunningStatsAttrs = { momentum: m, unbiased };
      const [newMean, newVar, newCount] = tf
        .engine()
        .runKernel(RUNNING_STATS, { ...inputs, count: this.numBatchesTracked }, attrs as never) as tf.Tensor[];
      this.runningMean.assign(newMean);
      this.runningVar.assign(newVar);
      this.numBatchesTracked.assign(newCount);
      tf.dispose([newMean, newVar, newCount]);
      return;
    }
    tf.tidy(() => {
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(variance, m * unbiased)));
      this.numBatchesTracked.assign(tf.add(this.numBatchesTracked, tf.scalar(1, 'int32')));
    });
  }
}

/** What follows a BatchNorm in a ResNet: + residual (a block's shortcut), then ReLU. */
export interface TrainEpilogue {
  readonly relu?: boolean;
  readonly residual?: tf.Tensor;
}

/**
 * Training-mode batch normalisation over N, H, W with a hand-written gradient, then `epilogue`. tfjs's generic one
 * spends ~15 full-size element-wise kernels per layer; this needs two reductions and five element-wise
 * ops: dx = w/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)), dw = Σ dy · x̂, db = Σ dy.
 *
 * `onStats(mean, biasedVariance)` runs inside the custom-gradient forward, where tfjs records no tape,
 * so a running-statistics update there never enters the gradient; its tensors are freed on return.
 */
export function batchNormTrain(
  x: tf.Tensor4D,
  weight: tf.Tensor,
  bias: tf.Tensor,
  eps: number,
  onStats: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
  epilogue: TrainEpilogue = {},
): tf.Tensor4D {
  const { residual } = epilogue;
  const residualFits = !residual || (residual.dtype === 'float32' && residual.shape.join() === x.shape.join());
  if (tf.getBackend() === 'wasm' && x.dtype === 'float32' && nativeKernels() && residualFits)
    return batchNormTrainNative(x, weight, bias, eps, onStats, epilogue);
  return withEpilogue(batchNormTrainComposite(x, weight, bias, eps, onStats), epilogue);
}

/** The epilogue as separate ops: + residual, then ReLU. */
function withEpilogue(y: tf.Tensor4D, { relu = false, residual }: TrainEpilogue): tf.Tensor4D {
  const summed = residual ? tf.add(y, residual) : y;
  return (relu ? tf.relu(summed) : summed) as tf.Tensor4D;
}

/** The textbook formulas as tfjs ops (any backend). */
function batchNormTrainComposite(
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

/**
 * The same through the two native kernels (wasm backend with harness/foundation/tensor/native loaded): same formulas,
 * two passes each way, the epilogue inside them.
 */
function batchNormTrainNative(
  x: tf.Tensor4D,
  weight: tf.Tensor,
  bias: tf.Tensor,
  eps: number,
  onStats: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void,
  { relu = false, residual }: TrainEpilogue,
): tf.Tensor4D {
  const attrs: BatchNormTrainAttrs = { varianceEpsilon: eps, relu };
  const f = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [xIn, w, b, r] = args as tf.Tensor[];
    const inputs = { x: xIn, weight: w, bias: b, ...(r ? { residual: r } : {}) };
    const [y, mean, variance, invStd] = tf
      .engine()
      .runKernel(BATCH_NORM_TRAIN, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    onStats(mean as tf.Tensor1D, variance as tf.Tensor1D);
    save(relu ? [xIn, mean, invStd, w, y] : [xIn, mean, invStd, w]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, m, inv, wt, out] = saved;
        const g = dy as tf.Tensor;
        // Without ReLU the residual's gradient is dy itself; with it, the masked dy the kernel returns.
        const gradAttrs: BatchNormTrainGradAttrs = { residual: r !== undefined && relu };
        const gradInputs = { dy: g, x: xs, mean: m, invStd: inv, weight: wt, ...(out ? { reluOut: out } : {}) };
        const grads = tf
          .engine()
          .runKernel(BATCH_NORM_TRAIN_GRAD, gradInputs, gradAttrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        if (r === undefined) return grads;
        return relu ? grads : [...grads, g.clone()];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  const inputs = residual ? [x, weight, bias, residual] : [x, weight, bias];
  return (f as (...t: tf.Tensor[]) => tf.Tensor)(...inputs) as tf.Tensor4D;
}
