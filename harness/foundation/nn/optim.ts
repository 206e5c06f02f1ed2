/**
 * @module Optimisers with PyTorch's exact update rules over a fixed list of named variables (usually
 * `model.trainableParameters()`). `step(grads)` takes gradients keyed by the same names (as
 * `gradStep` returns them); a parameter without a gradient is skipped, as PyTorch skips `grad is None`.
 * The optimiser owns its state (momentum buffers, Adam moments) and frees it in dispose(); the
 * gradients stay the caller's. `lr` may be changed between steps (schedules).
 *
 * @example
 * const opt = new SGD(model.trainableParameters(), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
 * const { loss, grads } = tf.tidy(() => gradStep(model, () => crossEntropy(model.forward(x), y)));
 * opt.step(grads);
 * tf.dispose([loss, grads]);
 */
import * as tf from '@tensorflow/tfjs-core';
import { SGD_STEP, type SgdStepAttrs } from '../tensor/kernels/sgd-step.ts';
import { nativeKernels } from '../tensor/native/native-kernels.ts';

export type NamedVariables = readonly (readonly [string, tf.Variable])[];
export type NamedGrads = Readonly<Record<string, tf.Tensor>>;

/**
 * What an optimiser carries from step to step (momentum buffers, Adam moments, step counts), so a training
 * checkpoint resumes bit for bit. Tensors are keyed `<kind>.<parameter name>`.
 */
export interface OptimizerState {
  tensors: Record<string, tf.Tensor>;
  counters: Record<string, number>;
}

export interface Optimizer {
  lr: number;
  step(grads: NamedGrads): void;
  /** The current state; its tensors are the optimiser's own (read them, do not dispose them). */
  state(): OptimizerState;
  /** Replaces the state with copies of `s` (the caller keeps `s`); a key naming no parameter is an error. */
  loadState(s: OptimizerState): void;
  dispose(): void;
}

/** Rebuilds `kind.<name>` buffers from a saved state, checking each name is one of `params`. */
function loadBuffers(kind: string, s: OptimizerState, params: NamedVariables, into: Map<string, tf.Variable>): void {
  const names = new Set(params.map(([n]) => n));
  for (const [key, t] of Object.entries(s.tensors)) {
    if (!key.startsWith(`${kind}.`)) continue;
    const name = key.slice(kind.length + 1);
    if (!names.has(name)) throw new Error(`optimizer state: '${key}' names no parameter of this optimiser`);
    into.get(name)?.dispose();
    into.set(name, tf.variable(t, false));
  }
}

function namedBuffers(kind: string, buffers: Map<string, tf.Variable>): Record<string, tf.Tensor> {
  return Object.fromEntries([...buffers].map(([name, v]) => [`${kind}.${name}`, v]));
}

export interface SgdOptions {
  readonly lr: number;
  /** @default 0 */
  readonly momentum?: number;
  /** @default 0 */
  readonly dampening?: number;
  /** L2 penalty added to the gradient. @default 0 */
  readonly weightDecay?: number;
  /** @default false */
  readonly nesterov?: boolean;
  /** Gradient ascent (RiFT's MRC), as PyTorch's `maximize`. @default false */
  readonly maximize?: boolean;
}

/**
 * torch.optim.SGD, in its order: g = ±grad + wd·w; buf = g on the first step, else
 * momentum·buf + (1 − dampening)·g; g = nesterov ? g + momentum·buf : buf; w −= lr·g.
 */
export class SGD implements Optimizer {
  lr: number;
  private readonly buffers = new Map<string, tf.Variable>();

  constructor(
    private readonly params: NamedVariables,
    readonly options: SgdOptions,
  ) {
    this.lr = options.lr;
    if (options.nesterov && (!options.momentum || options.dampening))
      throw new Error('SGD: nesterov needs momentum > 0 and dampening 0');
  }

  step(grads: NamedGrads): void {
    const { momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false } = this.options;
    const fused = tf.getBackend() === 'wasm' && nativeKernels() !== undefined;
    const attrs: SgdStepAttrs = { weightDecay, momentum, dampening, lr: this.lr, nesterov, maximize };
    tf.tidy(() => {
      for (const [name, w] of this.params) {
        const grad = grads[name];
        if (!grad) continue;
        if (fused && w.dtype === 'float32' && grad.dtype === 'float32') this.fusedStep(name, w, grad, attrs);
        else this.compositeStep(name, w, grad);
      }
    });
  }

  /** The rule as tfjs ops (any backend). */
  private compositeStep(name: string, w: tf.Variable, grad: tf.Tensor): void {
    const { momentum = 0, dampening = 0, weightDecay = 0, nesterov = false, maximize = false } = this.options;
    let g = maximize ? tf.neg(grad) : grad;
    if (weightDecay) g = tf.add(g, tf.mul(w, weightDecay));
    if (momentum) {
      let buf = this.buffers.get(name);
      if (!buf) {
        buf = tf.variable(g, false);
        this.buffers.set(name, buf);
      } else buf.assign(tf.add(tf.mul(buf, momentum), tf.mul(g, 1 - dampening)));
      g = nesterov ? tf.add(g, tf.mul(buf, momentum)) : buf;
    }
    w.assign(tf.sub(w, tf.mul(g, this.lr)));
  }

  /** The same rule and roundings in one native pass (tensor/kernels/sgd-step.ts). */
  private fusedStep(name: string, w: tf.Variable, grad: tf.Tensor, attrs: SgdStepAttrs): void {
    const buf = this.buffers.get(name);
    const inputs: tf.NamedTensorMap = buf ? { w, grad, buf } : { w, grad };
    const [next, nextBuf] = tf.engine().runKernel(SGD_STEP, inputs, attrs as never) as tf.Tensor[];
    if (nextBuf) {
      if (buf) buf.assign(nextBuf);
      else this.buffers.set(name, tf.variable(nextBuf, false));
    }
    w.assign(next);
  }

  state(): OptimizerState {
    return { tensors: namedBuffers('momentum', this.buffers), counters: {} };
  }

  loadState(s: OptimizerState): void {
    this.dispose();
    loadBuffers('momentum', s, this.params, this.buffers);
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.dispose();
    this.buffers.clear();
  }
}

export interface AdamOptions {
  readonly lr: number;
  /** @default 0.9 */
  readonly beta1?: number;
  /** @default 0.999 */
  readonly beta2?: number;
  /** @default 1e-8 */
  readonly eps?: number;
  /** L2 penalty added to the gradient (torch.optim.Adam, not AdamW). @default 0 */
  readonly weightDecay?: number;
  /** @default false */
  readonly maximize?: boolean;
}

/**
 * torch.optim.Adam: g = ±grad + wd·w; m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
 * w −= lr / (1 − β1^t) · m / (sqrt(v / (1 − β2^t)) + eps). One step counter for all parameters.
 */
export class Adam implements Optimizer {
  lr: number;
  private t = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly params: NamedVariables,
    readonly options: AdamOptions,
  ) {
    this.lr = options.lr;
  }

  step(grads: NamedGrads): void {
    const { beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, maximize = false } = this.options;
    this.t++;
    const c1 = 1 - beta1 ** this.t;
    const c2 = 1 - beta2 ** this.t;
    tf.tidy(() => {
      for (const [name, w] of this.params) {
        const grad = grads[name];
        if (!grad) continue;
        let g = maximize ? tf.neg(grad) : grad;
        if (weightDecay) g = tf.add(g, tf.mul(w, weightDecay));
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

  state(): OptimizerState {
    return { tensors: { ...namedBuffers('m', this.m), ...namedBuffers('v', this.v) }, counters: { t: this.t } };
  }

  loadState(s: OptimizerState): void {
    const t = s.counters.t;
    if (!Number.isInteger(t) || t < 0) throw new Error(`optimizer state: Adam needs a step count t >= 0, got ${t}`);
    this.dispose();
    loadBuffers('m', s, this.params, this.m);
    loadBuffers('v', s, this.params, this.v);
    this.t = t;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
