/**
 * @module Spectral normalisation of a Conv2d or Linear (Miyato et al. 2018; torch's `spectral_norm`),
 * with CARTL's scale: the layer computes with W* = beta * W / sigma(W), sigma the largest singular value
 * of W reshaped to (out, -1). sigma is estimated by power iteration with persistent vectors u (out) and
 * v (in * kh * kw): one iteration per training-mode forward, none in eval mode, as torch does. u and v
 * are buffers (state, no gradient); the gradient flows through W and through sigma = u^T W v.
 *
 * Our weights are stored [K, out] once flattened (conv HWIO, linear [in, out]): the transpose of
 * PyTorch's (out, K) matrix up to a permutation of K, so the singular values are the same.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, conv2dOp } from './conv.ts';
import { Linear } from './linear.ts';
import { Module } from './module.ts';

export interface SpectralNormOptions {
  /** Target spectral norm of the effective weight (CARTL's beta). @default 1 */
  readonly beta?: number;
  /** Seed of the random initial u, v. @default 0 */
  readonly seed?: number;
  /** Power iterations when the wrapper is made (torch's parametrization runs 15). @default 15 */
  readonly initIterations?: number;
}

const EPS = 1e-12;

function normalizeVec(t: tf.Tensor): tf.Tensor {
  return tf.div(t, tf.maximum(tf.norm(t), EPS));
}

export class SpectralNorm extends Module {
  readonly beta: number;
  readonly u: tf.Variable;
  readonly v: tf.Variable;

  constructor(
    readonly layer: Conv2d | Linear,
    { beta = 1, seed = 0, initIterations = 15 }: SpectralNormOptions = {},
  ) {
    super();
    if (!(beta > 0)) throw new Error(`SpectralNorm: beta must be positive, got ${beta}`);
    this.beta = beta;
    this.registerModule('layer', layer);
    const out = layer.weight.shape[layer.weight.shape.length - 1];
    const k = layer.weight.size / out;
    this.u = this.registerBuffer(
      'u',
      tf.tidy(() => normalizeVec(tf.randomNormal([out], 0, 1, 'float32', seed))),
    );
    this.v = this.registerBuffer(
      'v',
      tf.tidy(() => normalizeVec(tf.randomNormal([k], 0, 1, 'float32', seed + 1))),
    );
    this.powerIteration(initIterations);
  }

  /** W as a [K, out] matrix. */
  private matrix(): tf.Tensor2D {
    const w = this.layer.weight;
    return tf.reshape(w, [-1, w.shape[w.shape.length - 1]]);
  }

  /** v = normalize(W^T u), u = normalize(W v) in PyTorch's (out, K) orientation; no gradient flows into u, v. */
  powerIteration(iterations = 1): void {
    for (let i = 0; i < iterations; i++) {
      tf.tidy(() => {
        const m = this.matrix();
        const v = normalizeVec(tf.matMul(m, tf.reshape(this.u, [-1, 1])));
        const u = normalizeVec(tf.matMul(m, v, true, false));
        this.v.assign(tf.reshape(v, [-1]));
        this.u.assign(tf.reshape(u, [-1]));
      });
    }
  }

  /** sigma = u^T W v with the current u, v (differentiable in W). */
  sigma(): tf.Scalar {
    return tf.sum(
      tf.mul(tf.matMul(tf.reshape(this.v, [1, -1]), this.matrix()), tf.reshape(this.u, [1, -1])),
    ) as tf.Scalar;
  }

  /** beta * W / sigma(W), shaped like W. */
  effectiveWeight(): tf.Tensor {
    return tf.mul(this.layer.weight, tf.div(this.beta, this.sigma()));
  }

  forward(x: tf.Tensor): tf.Tensor {
    if (this.training) this.powerIteration(1);
    const w = this.effectiveWeight();
    const { layer } = this;
    if (layer instanceof Conv2d)
      return conv2dOp(
        x as tf.Tensor4D,
        w as tf.Tensor4D,
        layer.stride,
        layer.padding,
        layer.bias as tf.Tensor1D | undefined,
      );
    const y = tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D);
    return layer.bias ? tf.add(y, layer.bias) : y;
  }

  /**
   * A plain layer holding W* (same names and shapes as the wrapped one). The power iteration is first
   * run until sigma settles, so the returned layer's spectral norm is beta, not the last step's estimate.
   */
  toPlain({ maxIterations = 200, tolerance = 1e-6 } = {}): Conv2d | Linear {
    let prev = Infinity;
    for (let i = 0; i < maxIterations; i++) {
      this.powerIteration(1);
      const s = tf.tidy(() => this.sigma().dataSync()[0]);
      if (Math.abs(s - prev) <= tolerance * Math.abs(s)) break;
      prev = s;
    }
    const { layer } = this;
    const plain =
      layer instanceof Conv2d
        ? new Conv2d(layer.inChannels, layer.outChannels, layer.kernelSize, {
            stride: layer.stride,
            padding: layer.padding,
            bias: !!layer.bias,
          })
        : new Linear(layer.inFeatures, layer.outFeatures, { bias: !!layer.bias });
    tf.tidy(() => {
      plain.weight.assign(this.effectiveWeight());
      if (layer.bias) plain.bias!.assign(layer.bias);
    });
    plain.weight.trainable = layer.weight.trainable;
    if (plain.bias && layer.bias) plain.bias.trainable = layer.bias.trainable;
    return plain;
  }
}
