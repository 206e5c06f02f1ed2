/**
 * @module Optimisers with PyTorch's exact update rules, over named variables. They own their state
 * (momentum buffers, Adam moments) and free it in dispose().
 */
import * as tf from '@tensorflow/tfjs-core';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * torch.optim.SGD: g = grad + wd * w; buf = momentum * buf + (1 - dampening) * g (buf = g on the first
 * step); g = nesterov ? g + momentum * buf : buf; w -= lr * g.
 */
export class SGD {
  lr: number;
  private readonly buffers = new Map<string, tf.Variable>();

  constructor(
    private readonly params: [string, tf.Variable][],
    readonly options: SgdOptions,
  ) {
    this.lr = options.lr;
    if (options.nesterov && (!options.momentum || options.dampening)) throw new Error('SGD: nesterov needs momentum > 0 and dampening 0');
  }

  step(grads: Record<string, tf.Tensor>): void {
    const { momentum = 0, dampening = 0, weightDecay = 0, nesterov = false } = this.options;
    tf.tidy(() => {
      for (const [name, w] of this.params) {
        const grad = grads[name];
        if (!grad) continue;
        let g = weightDecay ? tf.add(grad, tf.mul(w, weightDecay)) : grad;
        if (momentum) {
          const buf = this.buffers.get(name);
          if (!buf) this.buffers.set(name, tf.variable(g, false));
          else buf.assign(tf.add(tf.mul(buf, momentum), tf.mul(g, 1 - dampening)));
          const b = this.buffers.get(name)!;
          g = nesterov ? tf.add(g, tf.mul(b, momentum)) : b;
        }
        w.assign(tf.sub(w, tf.mul(g, this.lr)));
      }
    });
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** torch.optim.Adam (L2 weight decay added to the gradient, bias-corrected moments). */
export class Adam {
  lr: number;
  private t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: [string, tf.Variable][],
    readonly options: AdamOptions,
  ) {
    this.lr = options.lr;
  }

  step(grads: Record<string, tf.Tensor>): void {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = this.options;
    this.t++;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    tf.tidy(() => {
      for (const [name, w] of this.params) {
        const grad = grads[name];
        if (!grad) continue;
        const g = weightDecay ? tf.add(grad, tf.mul(w, weightDecay)) : grad;
        if (!this.m.has(name)) {
          this.m.set(name, tf.variable(tf.zerosLike(w), false));
          this.v.set(name, tf.variable(tf.zerosLike(w), false));
        }
        const m = this.m.get(name)!;
        const v = this.v.get(name)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const denom = tf.add(tf.sqrt(tf.div(v, c2)), eps);
        w.assign(tf.sub(w, tf.mul(tf.div(m, denom), this.lr / c1)));
      }
    });
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
