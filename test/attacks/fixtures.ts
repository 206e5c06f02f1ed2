/**
 * Shared test models for the attacks: linear classifiers with their exact (box-constrained) robustness
 * in closed form, a tiny conv net trained in the test on separable synthetic data, and models built to
 * trip AutoAttack's sanity checks. All randomness is seeded.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../../harness/foundation/rng.ts';
import type { LogitsFn } from '../../attacks/types.ts';

export interface Linear {
  /** [D][K] */
  readonly w: number[][];
  readonly b: number[];
  readonly model: LogitsFn;
  dispose(): void;
}

/** z = x W + b on flattened images. */
export function linearClassifier(w: number[][], b: number[]): Linear {
  const W = tf.tensor2d(w);
  const B = tf.tensor1d(b);
  const model: LogitsFn = (x) => tf.tidy(() => tf.add(tf.matMul(tf.reshape(x, [x.shape[0], -1]), W), B) as tf.Tensor2D);
  return { w, b, model, dispose: () => tf.dispose([W, B]) };
}

function gaussian(rng: Rng): number {
  let u = rng.next();
  while (u <= 0) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * A random linear classifier on d inputs. With `block` (and the image `shape`), weights are constant on
 * block x block pixel squares, as image templates are (Square's windows then make progress).
 */
export function randomLinear(
  d: number,
  k: number,
  seed: number,
  block?: { size: number; shape: [number, number, number] },
): Linear {
  const rng = new Rng(seed);
  let w = Array.from({ length: d }, () => Array.from({ length: k }, () => gaussian(rng)));
  if (block) {
    const [h, wd, c] = block.shape;
    w = w.map((_, p) => {
      const ch = p % c;
      const j = Math.floor(p / c) % wd;
      const i = Math.floor(p / (c * wd));
      const q =
        ((Math.floor(i / block.size) * block.size * wd + Math.floor(j / block.size) * block.size) * c + ch) %
        (h * wd * c);
      return w[q];
    });
  }
  const b = Array.from({ length: k }, () => 0.1 * gaussian(rng));
  return linearClassifier(w, b);
}

/** Logits of one flattened point. */
export function linearLogits(l: Linear, x: ArrayLike<number>): number[] {
  const k = l.b.length;
  const z = l.b.slice();
  for (let i = 0; i < x.length; i++) for (let j = 0; j < k; j++) z[j] += x[i] * l.w[i][j];
  return z;
}

/**
 * Smallest margin z_y - z_o reachable in the Linf ball of radius eps intersected with [0,1]^d, per
 * competitor o: the objective is linear, so each coordinate independently goes to the end of its
 * interval [max(0, x-eps), min(1, x+eps)] that lowers it. Robust iff every value is > 0.
 */
export function worstLinfMargins(l: Linear, x: ArrayLike<number>, y: number, eps: number): number[] {
  const k = l.b.length;
  const out: number[] = [];
  for (let o = 0; o < k; o++) {
    if (o === y) continue;
    let m = l.b[y] - l.b[o];
    for (let i = 0; i < x.length; i++) {
      const v = l.w[i][y] - l.w[i][o];
      const lo = Math.max(0, x[i] - eps);
      const hi = Math.min(1, x[i] + eps);
      m += v * (v > 0 ? lo : hi);
    }
    out.push(m);
  }
  return out;
}

/** Smallest Linf radius (with the box) at which class o can reach the margin 0, by bisection; Infinity if never. */
export function exactMinLinf(l: Linear, x: ArrayLike<number>, y: number): number {
  let best = Infinity;
  const k = l.b.length;
  for (let o = 0; o < k; o++) {
    if (o === y) continue;
    const f = (eps: number) => worstLinfMargins(l, x, y, eps)[o < y ? o : o - 1];
    if (f(0) <= 0) return 0;
    if (f(1) > 0) continue;
    let lo = 0;
    let hi = 1;
    for (let it = 0; it < 60; it++) {
      const mid = (lo + hi) / 2;
      if (f(mid) > 0) lo = mid;
      else hi = mid;
    }
    best = Math.min(best, hi);
  }
  return best;
}

/**
 * Smallest L2 perturbation (with the box) reaching z_y = z_o for some o: for each o, the KKT point
 * d(a) = clip(-a v, -x, 1-x), v = w_y - w_o, found by bisection on a; Infinity if the box blocks it.
 */
export function exactMinL2(l: Linear, x: ArrayLike<number>, y: number): number {
  let best = Infinity;
  const k = l.b.length;
  for (let o = 0; o < k; o++) {
    if (o === y) continue;
    const v = Array.from(x, (_, i) => l.w[i][y] - l.w[i][o]);
    let m = l.b[y] - l.b[o];
    for (let i = 0; i < x.length; i++) m += v[i] * x[i];
    if (m <= 0) return 0;
    const drop = (a: number) => {
      let s = 0;
      let n2 = 0;
      for (let i = 0; i < x.length; i++) {
        const d = Math.min(Math.max(-a * v[i], -x[i]), 1 - x[i]);
        s -= v[i] * d;
        n2 += d * d;
      }
      return { s, n: Math.sqrt(n2) };
    };
    let hi = 1;
    while (drop(hi).s < m && hi < 1e9) hi *= 2;
    if (drop(hi).s < m) continue;
    let lo = 0;
    for (let it = 0; it < 100; it++) {
      const mid = (lo + hi) / 2;
      if (drop(mid).s < m) lo = mid;
      else hi = mid;
    }
    best = Math.min(best, drop(hi).n);
  }
  return best;
}

/** Uniform points in [lo, hi]^d as an NHWC batch [n, h, w, c]. */
export function uniformPoints(
  n: number,
  shape: [number, number, number],
  seed: number,
  lo = 0.2,
  hi = 0.8,
): Float32Array {
  const rng = new Rng(seed);
  const d = shape[0] * shape[1] * shape[2];
  return Float32Array.from({ length: n * d }, () => lo + (hi - lo) * rng.next());
}

export function accuracy(model: LogitsFn, x: tf.Tensor4D, y: tf.Tensor1D): number {
  return tf.tidy(
    () => tf.mean(tf.cast(tf.equal(tf.argMax(model(x), 1), tf.cast(y, 'int32')), 'float32')).dataSync()[0],
  );
}

export function correctFlags(model: LogitsFn, x: tf.Tensor4D, y: tf.Tensor1D): boolean[] {
  const t = tf.tidy(() => tf.equal(tf.argMax(model(x), 1), tf.cast(y, 'int32')));
  const out = Array.from(t.dataSync(), (v) => v === 1);
  t.dispose();
  return out;
}

export interface TinyNet {
  readonly model: LogitsFn;
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
  readonly numClasses: number;
  dispose(): void;
}

/**
 * A tiny trained classifier (conv 3x3 with 4 filters, ReLU, then a dense layer of 24 ReLU units and the
 * head), trained with Adam for a few steps on separable synthetic data: each class is a random 8x8x1
 * prototype, examples are prototype + noise. Returns the model and a held-out batch.
 */
export function trainTinyNet({ numClasses = 4, n = 48, steps = 40, seed = 1, size = 8 } = {}): TinyNet {
  const rng = new Rng(seed);
  const d = size * size;
  const protos = Array.from({ length: numClasses }, () => Array.from({ length: d }, () => 0.3 + 0.4 * rng.next()));
  const sample = (count: number) => {
    const xs = new Float32Array(count * d);
    const ys = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const c = i % numClasses;
      ys[i] = c;
      for (let p = 0; p < d; p++) xs[i * d + p] = Math.min(1, Math.max(0, protos[c][p] + 0.1 * gaussian(rng)));
    }
    return { x: tf.tensor4d(xs, [count, size, size, 1]), y: tf.tensor1d(ys, 'int32') };
  };
  const train = sample(96);
  const test = sample(n);
  const filters = 4;
  const hidden = 24;
  const params = [
    tf.variable(tf.randomNormal([3, 3, 1, filters], 0, 0.4, 'float32', seed + 11)),
    tf.variable(tf.randomNormal([d * filters, hidden], 0, 0.05, 'float32', seed + 12)),
    tf.variable(tf.zeros([hidden])),
    tf.variable(tf.randomNormal([hidden, numClasses], 0, 0.2, 'float32', seed + 13)),
    tf.variable(tf.zeros([numClasses])),
  ] as const;
  const [kernel, w1, b1, w2, b2] = params;
  const model: LogitsFn = (x) =>
    tf.tidy(() => {
      const h = tf.relu(tf.conv2d(x, kernel as tf.Variable<tf.Rank.R4>, 1, 'same'));
      const f = tf.relu(tf.add(tf.matMul(tf.reshape(h, [x.shape[0], -1]), w1), b1));
      return tf.add(tf.matMul(f, w2), b2) as tf.Tensor2D;
    });
  const opt = tf.train.adam(0.01);
  for (let s = 0; s < steps; s++) {
    const loss = opt.minimize(
      () => tf.losses.softmaxCrossEntropy(tf.oneHot(train.y, numClasses), model(train.x)) as tf.Scalar,
      true,
    );
    loss?.dispose();
  }
  opt.dispose();
  tf.dispose([train.x, train.y]);
  return {
    model,
    x: test.x,
    y: test.y,
    numClasses,
    dispose: () => tf.dispose([...params, test.x, test.y]),
  };
}

/** A copy of `model` whose input gradient is exactly zero (identity forward, zero backward). */
export function zeroGradientModel(model: LogitsFn): LogitsFn {
  const block = tf.customGrad(((x: tf.Tensor) => ({
    value: tf.clone(x),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (x) => model(block(x) as tf.Tensor4D);
}

/** Softmax probabilities instead of logits. */
export function probabilityModel(model: LogitsFn): LogitsFn {
  return (x) => tf.tidy(() => tf.softmax(model(x)) as tf.Tensor2D);
}

/** Dropout left on: unseeded noise on every forward, so two forwards differ. */
export function noisyModel(model: LogitsFn, scale = 0.5): LogitsFn {
  return (x) =>
    tf.tidy(() => {
      const z = model(x);
      return tf.add(z, tf.mul(tf.randomNormal(z.shape), scale)) as tf.Tensor2D;
    });
}

export interface LinearProblem {
  readonly lin: Linear;
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
  /** Flat points, row-major, D = h*w*c each. */
  readonly points: Float32Array;
  readonly labels: number[];
  /** Exact robustness at eps (box included) per point. */
  readonly robust: boolean[];
  readonly exactRobustAccuracy: number;
  dispose(): void;
}

/**
 * Random points labelled by a random linear classifier with k classes, keeping only those whose exact
 * worst-case margin at eps is not within `gap` of zero (no ties for an attack to trip over). Linf with
 * the [0,1] box computed exactly; for L2 choose points far from the box (`range`) so the unconstrained
 * answer m > eps * ||w_y - w_o||_2 holds.
 */
export function linearProblem({
  k,
  n,
  eps,
  seed,
  norm = 'Linf',
  shape = [4, 4, 1],
  range = [0, 1],
  gap = 0.05,
  block,
}: {
  block?: number;
  k: number;
  n: number;
  eps: number;
  seed: number;
  norm?: 'Linf' | 'L2';
  shape?: [number, number, number];
  range?: [number, number];
  gap?: number;
}): LinearProblem {
  const d = shape[0] * shape[1] * shape[2];
  const lin = randomLinear(d, k, seed, block ? { size: block, shape } : undefined);
  let pts = uniformPoints(n, shape, seed + 1000, range[0], range[1]);
  if (block) {
    // Images as smooth as the templates: block-constant values plus a little pixel noise.
    const rng = new Rng(seed + 2000);
    const [h, wd, c] = shape;
    const coarse = uniformPoints(n, shape, seed + 3000, range[0], range[1]);
    pts = pts.map((_, q) => {
      const e = Math.floor(q / d);
      const p = q % d;
      const ch = p % c;
      const j = Math.floor(p / c) % wd;
      const i = Math.floor(p / (c * wd));
      const src =
        e * d + (((Math.floor(i / block) * block * wd + Math.floor(j / block) * block) * c + ch) % (h * wd * c));
      return Math.min(range[1], Math.max(range[0], coarse[src] + 0.02 * (rng.next() - 0.5)));
    });
  }
  const keep: number[] = [];
  const labels: number[] = [];
  const robust: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const p = pts.subarray(i * d, (i + 1) * d);
    const z = linearLogits(lin, p);
    const y = z.indexOf(Math.max(...z));
    let m: number;
    if (norm === 'Linf') m = Math.min(...worstLinfMargins(lin, p, y, eps));
    else {
      m = Infinity;
      for (let o = 0; o < k; o++) {
        if (o === y) continue;
        let n2 = 0;
        for (let q = 0; q < d; q++) n2 += (lin.w[q][y] - lin.w[q][o]) ** 2;
        m = Math.min(m, z[y] - z[o] - eps * Math.sqrt(n2));
      }
    }
    if (Math.abs(m) < gap) continue;
    keep.push(i);
    labels.push(y);
    robust.push(m > 0);
  }
  const points = new Float32Array(keep.length * d);
  keep.forEach((i, r) => points.set(pts.subarray(i * d, (i + 1) * d), r * d));
  const x = tf.tensor4d(points, [keep.length, ...shape]);
  const y = tf.tensor1d(labels, 'int32');
  return {
    lin,
    x,
    y,
    points,
    labels,
    robust,
    exactRobustAccuracy: robust.filter(Boolean).length / robust.length,
    dispose: () => {
      lin.dispose();
      tf.dispose([x, y]);
    },
  };
}

/** Largest per-example perturbation norm and whether every value stays in [0,1]. */
export function perturbationStats(
  x: tf.Tensor4D,
  xAdv: tf.Tensor4D,
  norm: 'Linf' | 'L2',
): { max: number; inBox: boolean } {
  return tf.tidy(() => {
    const d = tf.reshape(tf.sub(xAdv, x), [x.shape[0], -1]);
    const per = norm === 'Linf' ? tf.max(tf.abs(d), 1) : tf.sqrt(tf.sum(tf.square(d), 1));
    const max = x.shape[0] ? tf.max(per).dataSync()[0] : 0;
    const inBox = tf.min(xAdv).dataSync()[0] >= 0 && tf.max(xAdv).dataSync()[0] <= 1;
    return { max, inBox };
  });
}

/** Number of points still correctly classified. */
export function countCorrect(model: LogitsFn, x: tf.Tensor4D, y: tf.Tensor1D): number {
  return correctFlags(model, x, y).filter(Boolean).length;
}
