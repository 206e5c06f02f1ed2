/**
 * @module TWINS' two-wing batch normalisation (Liu et al., CVPR 2023). Each BatchNorm of the network
 * becomes a TwinBatchNorm over the same convolution weights:
 * - `frozen`: normalises with the pre-training running mean/variance, in train and eval mode alike,
 *   and never updates them; its affine weight/bias start from the source and train;
 * - `adaptive`: an ordinary BatchNorm2d initialised from the source (statistics and affine).
 * Which wing a forward uses is switched for the whole network with `setWing`; the adaptive wing is
 * the default, so attacks and evaluation see it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d } from '../../harness/foundation/nn/batchnorm.ts';
import { Module } from '../../harness/foundation/nn/module.ts';

export type Wing = 'frozen' | 'adaptive';

/** A BatchNorm2d that always normalises with its running statistics: training never moves them. */
export class FrozenStatsBatchNorm2d extends BatchNorm2d {
  override forward(x: tf.Tensor): tf.Tensor4D {
    return this.normalize(x as tf.Tensor4D, this.runningMean, this.runningVar, this.weight, this.bias);
  }
}

function copyOf<B extends BatchNorm2d>(bn: BatchNorm2d, make: (n: number) => B): B {
  const out = make(bn.numFeatures);
  const state = bn.stateDict();
  try {
    out.loadStateDict(state);
  } finally {
    tf.dispose(state);
  }
  return out;
}

export class TwinBatchNorm extends Module {
  wing: Wing = 'adaptive';
  readonly frozen: FrozenStatsBatchNorm2d;
  readonly adaptive: BatchNorm2d;

  /** Both wings start as copies of `source` (statistics and affine); `source` stays the caller's. */
  constructor(source: BatchNorm2d) {
    super();
    this.frozen = this.registerModule(
      'frozen',
      copyOf(source, (n) => new FrozenStatsBatchNorm2d(n, source.options)),
    );
    this.adaptive = this.registerModule(
      'adaptive',
      copyOf(source, (n) => new BatchNorm2d(n, source.options)),
    );
  }

  forward(x: tf.Tensor): tf.Tensor4D {
    return (this.wing === 'frozen' ? this.frozen : this.adaptive).forward(x) as tf.Tensor4D;
  }

  /** A plain BatchNorm2d holding the adaptive wing's state: what TWINS evaluates. */
  toAdaptiveBatchNorm(): BatchNorm2d {
    return copyOf(this.adaptive, (n) => new BatchNorm2d(n, this.adaptive.options));
  }
}

/** Swaps every BatchNorm2d of `model` for a TwinBatchNorm; returns how many. */
export function twinAllBatchNorms(model: Module): number {
  return model.replace(
    (m) => m instanceof BatchNorm2d,
    (m) => new TwinBatchNorm(m as BatchNorm2d),
  );
}

/** Routes every TwinBatchNorm of `model` through one wing. */
export function setWing(model: Module, wing: Wing): void {
  for (const [, m] of model.namedModules()) if (m instanceof TwinBatchNorm) m.wing = wing;
}

/** Undoes twinAllBatchNorms, keeping the adaptive wings: the model has its original layout again. */
export function keepAdaptiveWings(model: Module): number {
  return model.replace(
    (m) => m instanceof TwinBatchNorm,
    (m) => (m as TwinBatchNorm).toAdaptiveBatchNorm(),
  );
}

/** Runs `fn` with every twin on `wing`, restoring the adaptive wing afterwards. */
export function withWing<T>(model: Module, wing: Wing, fn: () => T): T {
  setWing(model, wing);
  try {
    return fn();
  } finally {
    setWing(model, 'adaptive');
  }
}
