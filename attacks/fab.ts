/**
 * @module FAB (Croce & Hein, "Minimally distorted Adversarial Examples with a Fast Adaptive Boundary
 * Attack", ICML 2020, https://arxiv.org/abs/1907.02044), as in fra31/auto-attack's `fab_base.py` /
 * `fab_pt.py`. Distance measure: Linf or L2. FAB looks for the smallest adversarial perturbation; as an
 * attack in a threat model it succeeds when that perturbation is within eps.
 *
 * Each iteration linearises the decision boundary at the current point x1: untargeted, the class k != y
 * whose linearised boundary (z_k - z_y) is closest in the dual norm; targeted (FAB-T), the boundary to
 * the target class. It projects both x1 and the original x0 onto that hyperplane intersected with the
 * box [0,1] (fab-projections.ts), steps to a convex combination of the two projections, each extrapolated
 * by eta = 1.05, with weight alpha = min(|d1| / (|d1| + |d2|), alpha_max = 0.1) on the x0 side, and clips
 * to [0,1]. When the new point is misclassified it is kept if its distance to x0 is the smallest so far,
 * and the iterate moves back towards x0 by beta = 0.9. 100 iterations; restarts after the first start
 * at a random point at half eps. FAB-T runs against the 2nd, ..., 10th most likely clean classes (9
 * targets, capped at classes - 1), each on the points still robust at eps.
 *
 * Shapes: x [N,H,W,C] in [0,1], y [N] int labels; xAdv like x, owned by the caller.
 *
 * @example
 * const { xAdv } = fab({ norm: 'Linf', eps: 8 / 255 }).run(logits, x, y, 0);
 * const { norms } = fabMinimal(logits, x, y, { norm: 'L2' }, 0); // smallest perturbation found per point
 */
import * as tf from '@tensorflow/tfjs-core';
import '../harness/foundation/tensor/setup.ts';
import type { Rng } from '../harness/foundation/rng.ts';
import { DEFAULT_EPS } from './apgd.ts';
import { projectOntoHyperplaneBox } from './fab-projections.ts';
import type { Attack, AttackResult, LogitsFn, Norm } from './types.ts';
import {
  assertBatch,
  assertCount,
  assertNorm,
  assertPositive,
  attackRng,
  gaussian,
  indicesOf,
  labelsOf,
  rankedClass,
} from './utils.ts';

export interface FabOptions {
  /** @default 'Linf' */
  readonly norm: Norm;
  /** Threat-model radius (success means a perturbation within eps) and the scale of random restarts. @default 8/255 (Linf), 0.5 (L2) */
  readonly eps: number;
  /** @default 100 */
  readonly nIter: number;
  /** Runs per target; runs after the first start at a random point. @default 1 */
  readonly restarts: number;
  /** Largest weight of the step from the original point. @default 0.1 */
  readonly alphaMax: number;
  /** Overshoot of the projection. @default 1.05 */
  readonly eta: number;
  /** Backward step towards the original point after a success. @default 0.9 */
  readonly beta: number;
  /** FAB-T (targeted at the runner-up classes) or untargeted FAB. @default true */
  readonly targeted: boolean;
  /** Targets of FAB-T, capped at classes - 1. @default 9 */
  readonly nTargetClasses: number;
}

export const FAB_DEFAULTS: Omit<FabOptions, 'eps'> = {
  norm: 'Linf',
  nIter: 100,
  restarts: 1,
  alphaMax: 0.1,
  eta: 1.05,
  beta: 0.9,
  targeted: true,
  nTargetClasses: 9,
};

export function resolveFabOptions(options: Partial<FabOptions>): FabOptions {
  const norm = options.norm ?? FAB_DEFAULTS.norm;
  const o: FabOptions = { ...FAB_DEFAULTS, eps: DEFAULT_EPS[norm], ...options };
  assertNorm('fab', o.norm);
  assertPositive('fab', { eps: o.eps, eta: o.eta, beta: o.beta, alphaMax: o.alphaMax });
  assertCount('fab', { nIter: o.nIter, restarts: o.restarts, nTargetClasses: o.nTargetClasses });
  if (o.alphaMax > 1 || o.beta > 1)
    throw new Error(`fab: alphaMax and beta must be at most 1 (got ${o.alphaMax}, ${o.beta})`);
  return o;
}

/** Lp norm of a flat vector. */
function lpNorm(v: ArrayLike<number>, norm: Norm): number {
  let s = 0;
  if (norm === 'Linf') {
    for (let i = 0; i < v.length; i++) s = Math.max(s, Math.abs(v[i]));
    return s;
  }
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** Dual norm of a flat vector (L1 for Linf, L2 for L2): the distance to a linearised boundary is |f| / dual(grad). */
function dualNorm(v: ArrayLike<number>, offset: number, dim: number, norm: Norm): number {
  let s = 0;
  if (norm === 'Linf') {
    for (let i = 0; i < dim; i++) s += Math.abs(v[offset + i]);
    return s;
  }
  for (let i = 0; i < dim; i++) s += v[offset + i] * v[offset + i];
  return Math.sqrt(s);
}

interface Batch {
  readonly shape: [number, number, number, number];
  readonly dim: number;
}

function toTensor(data: Float32Array, b: Batch, n: number): tf.Tensor4D {
  return tf.tensor4d(data, [n, b.shape[1], b.shape[2], b.shape[3]]);
}

function predictFlat(
  model: LogitsFn,
  data: Float32Array,
  b: Batch,
  n: number,
): { pred: Int32Array; logits: Float32Array; k: number } {
  const [p, z] = tf.tidy(() => {
    const logits = model(toTensor(data, b, n));
    return [tf.argMax(logits, 1), logits];
  });
  const out = { pred: Int32Array.from(p.dataSync()), logits: Float32Array.from(z.dataSync()), k: z.shape[1] };
  tf.dispose([p, z]);
  return out;
}

/**
 * Differences of logits and their input gradients at x1 (flat, n points): untargeted, for every class k,
 * f_k = z_k - z_y (f_y = 1e10 so it is never chosen) and g_k = grad z_k - grad z_y; targeted, the single
 * pair f = z_t - z_y, g = grad (z_t - z_y).
 */
function boundaryTerms(
  model: LogitsFn,
  x1: Float32Array,
  b: Batch,
  n: number,
  y: Int32Array,
  targets: Int32Array | undefined,
): { f: Float64Array; g: Float32Array; m: number } {
  const x = toTensor(x1, b, n);
  const yT = tf.tensor1d(y, 'int32');
  try {
    if (targets) {
      const tT = tf.tensor1d(targets, 'int32');
      const kept: { z?: tf.Tensor2D } = {};
      const grad = tf.tidy(() =>
        tf.grad((inp: tf.Tensor) => {
          const z = tf.keep(model(inp as tf.Tensor4D));
          kept.z = z;
          const k = z.shape[1];
          return tf.sum(tf.mul(z, tf.sub(tf.oneHot(tT, k), tf.oneHot(yT, k))));
        })(x),
      );
      const z = kept.z!.dataSync();
      const k = kept.z!.shape[1];
      const f = new Float64Array(n);
      for (let i = 0; i < n; i++) f[i] = z[i * k + targets[i]] - z[i * k + y[i]];
      const g = Float32Array.from(grad.dataSync());
      tf.dispose([grad, kept.z!, tT]);
      return { f, g, m: 1 };
    }
    // Jacobian row by row: one backward per class (as the reference does with its grad masks).
    let logits: Float32Array | undefined;
    let k = 0;
    let jac: Float32Array | undefined;
    for (let c = 0; ; c++) {
      const kept: { z?: tf.Tensor2D } = {};
      const grad = tf.tidy(() =>
        tf.grad((inp: tf.Tensor) => {
          const z = model(inp as tf.Tensor4D);
          if (c === 0) kept.z = tf.keep(z);
          return tf.sum(tf.slice(z, [0, c], [-1, 1]));
        })(x),
      );
      if (c === 0) {
        logits = Float32Array.from(kept.z!.dataSync());
        k = kept.z!.shape[1];
        kept.z!.dispose();
        jac = new Float32Array(k * n * b.dim);
      }
      // jac layout: [point][class][feature]
      const gv = grad.dataSync();
      for (let i = 0; i < n; i++) jac!.set(gv.subarray(i * b.dim, (i + 1) * b.dim), (i * k + c) * b.dim);
      grad.dispose();
      if (c === k - 1) break;
    }
    const f = new Float64Array(n * k);
    const g = jac!;
    for (let i = 0; i < n; i++) {
      const yi = y[i];
      const base = i * k;
      for (let c = 0; c < k; c++) f[base + c] = logits![base + c] - logits![base + yi];
      f[base + yi] = 1e10;
      const gy = g.slice((base + yi) * b.dim, (base + yi + 1) * b.dim);
      for (let c = 0; c < k; c++) {
        const off = (base + c) * b.dim;
        for (let p = 0; p < b.dim; p++) g[off + p] -= gy[p];
      }
    }
    return { f, g, m: k };
  } finally {
    tf.dispose([x, yT]);
  }
}

/**
 * One FAB run on points that are all correctly classified. Returns the closest adversarial point found
 * per point (flat) and its distance (Infinity if none).
 */
function singleRun(
  model: LogitsFn,
  x0: Float32Array,
  y: Int32Array,
  b: Batch,
  o: FabOptions,
  targets: Int32Array | undefined,
  randomStart: boolean,
  rng: Rng,
): { adv: Float32Array; dist: Float64Array } {
  const n = y.length;
  const dim = b.dim;
  const adv = Float32Array.from(x0);
  const dist = new Float64Array(n).fill(Infinity);
  const x1 = Float32Array.from(x0);
  if (randomStart) {
    // A random point at half eps (the reference scales by min(best distance, eps) with no best yet).
    for (let i = 0; i < n; i++) {
      const t = new Float64Array(dim);
      for (let p = 0; p < dim; p++) t[p] = o.norm === 'Linf' ? 2 * rng.next() - 1 : gaussian(rng);
      const scale = (0.5 * o.eps) / (lpNorm(t, o.norm) || 1);
      for (let p = 0; p < dim; p++) x1[i * dim + p] = Math.min(1, Math.max(0, x0[i * dim + p] + scale * t[p]));
    }
  }
  const d1 = new Float64Array(dim);
  const d2 = new Float64Array(dim);
  const w = new Float64Array(dim);
  for (let iter = 0; iter < o.nIter; iter++) {
    const { f, g, m } = boundaryTerms(model, x1, b, n, y, targets);
    for (let i = 0; i < n; i++) {
      // The closest linearised boundary.
      let best = 0;
      let bestDist = Infinity;
      for (let c = 0; c < m; c++) {
        const dd = Math.abs(f[i * m + c]) / (1e-12 + dualNorm(g, (i * m + c) * dim, dim, o.norm));
        if (dd < bestDist) {
          bestDist = dd;
          best = c;
        }
      }
      const off = (i * m + best) * dim;
      const row = i * dim;
      // Hyperplane f + g·(z - x1) = 0, i.e. g·z = g·x1 - f.
      let rhs = -f[i * m + best];
      for (let p = 0; p < dim; p++) {
        w[p] = g[off + p];
        rhs += w[p] * x1[row + p];
      }
      projectOntoHyperplaneBox(o.norm, x1.subarray(row, row + dim), w, rhs, d1);
      projectOntoHyperplaneBox(o.norm, x0.subarray(row, row + dim), w, rhs, d2);
      const a1 = Math.max(lpNorm(d1, o.norm), 1e-8);
      const a2 = Math.max(lpNorm(d2, o.norm), 1e-8);
      const alpha = Math.min(Math.max(a1 / (a1 + a2), 0), o.alphaMax);
      for (let p = 0; p < dim; p++) {
        const v = (x1[row + p] + o.eta * d1[p]) * (1 - alpha) + (x0[row + p] + o.eta * d2[p]) * alpha;
        x1[row + p] = Math.min(1, Math.max(0, v));
      }
    }
    const { pred } = predictFlat(model, x1, b, n);
    for (let i = 0; i < n; i++) {
      if (pred[i] === y[i]) continue;
      const row = i * dim;
      const diff = new Float64Array(dim);
      for (let p = 0; p < dim; p++) diff[p] = x1[row + p] - x0[row + p];
      const t = lpNorm(diff, o.norm);
      if (t < dist[i]) {
        dist[i] = t;
        adv.set(x1.subarray(row, row + dim), row);
      }
      for (let p = 0; p < dim; p++) x1[row + p] = x0[row + p] + diff[p] * o.beta;
    }
  }
  return { adv, dist };
}

function gatherRows(data: Float32Array, idx: number[], dim: number): Float32Array {
  const out = new Float32Array(idx.length * dim);
  idx.forEach((j, r) => out.set(data.subarray(j * dim, (j + 1) * dim), r * dim));
  return out;
}

interface FabOutcome {
  adv: Float32Array;
  /** Distance of the returned point per example (0 for untouched points, Infinity where none found in min-norm mode). */
  dist: Float64Array;
  nTargets: number;
  numClasses: number;
}

/**
 * The shared driver. `minNorm`: attack every correctly classified point in every run and keep the
 * closest adversarial point (no eps); otherwise the reference's protocol: only points not yet fooled
 * within eps are attacked, and a run counts only within eps.
 */
function runFab(
  model: LogitsFn,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  o: FabOptions,
  seed: number,
  minNorm: boolean,
): FabOutcome {
  const shape = x.shape as [number, number, number, number];
  const b: Batch = { shape, dim: shape[1] * shape[2] * shape[3] };
  const n = shape[0];
  const data = Float32Array.from(x.dataSync());
  const labels = labelsOf(y);
  const rng = attackRng('fab', seed);
  const clean = predictFlat(model, data, b, n);
  const k = clean.k;
  const adv = Float32Array.from(data);
  const dist = new Float64Array(n).fill(minNorm ? Infinity : 0);
  // Robust at eps so far (reference protocol) / correctly classified (min-norm).
  const open = Uint8Array.from(clean.pred, (p, i) => (p === labels[i] ? 1 : 0));
  const correct = Uint8Array.from(open);
  const nTargets = o.targeted ? Math.min(o.nTargetClasses, k - 1) : 1;
  for (let target = 0; target < nTargets; target++) {
    for (let r = 0; r < o.restarts; r++) {
      const idx = indicesOf(minNorm ? correct : open);
      if (idx.length === 0) continue;
      const xs = gatherRows(data, idx, b.dim);
      const ys = Int32Array.from(idx, (j) => labels[j]);
      let targets: Int32Array | undefined;
      if (o.targeted) {
        const z = predictFlat(model, xs, b, idx.length);
        targets = rankedClass(z.logits, z.k, target + 2);
      }
      const run = singleRun(model, xs, ys, b, o, targets, r > 0, rng);
      idx.forEach((j, q) => {
        const found = run.dist[q];
        const take = minNorm ? found < dist[j] : found <= o.eps;
        if (!take) return;
        adv.set(run.adv.subarray(q * b.dim, (q + 1) * b.dim), j * b.dim);
        dist[j] = found;
        open[j] = 0;
      });
    }
  }
  return { adv, dist, nTargets, numClasses: k };
}

function notesOf(o: FabOptions, out: FabOutcome): Record<string, unknown> {
  const notes: Record<string, unknown> = { targeted: o.targeted, nIter: o.nIter, restarts: o.restarts };
  if (o.targeted) {
    notes.nTargetClasses = out.nTargets;
    if (out.nTargets < o.nTargetClasses)
      notes.targetsCapped = {
        requested: o.nTargetClasses,
        used: out.nTargets,
        reason: `the model has ${out.numClasses} classes`,
      };
  }
  return notes;
}

/** FAB-T (default) / FAB with AutoAttack's settings; succeeds on a point when FAB finds a perturbation within eps. */
export function fab(options: Partial<FabOptions> = {}): Attack {
  const o = resolveFabOptions(options);
  return {
    id: o.targeted ? 'fab-t' : 'fab',
    norm: o.norm,
    eps: o.eps,
    options: { ...o },
    run(model, x, y, seed): AttackResult {
      assertBatch('fab', x, y);
      if (x.shape[0] === 0) return { xAdv: tf.clone(x) };
      const out = runFab(model, x, y, o, seed, false);
      return { xAdv: tf.tensor4d(out.adv, x.shape), notes: notesOf(o, out) };
    },
  };
}

/**
 * FAB as a minimum-norm attack: for every correctly classified point, the closest adversarial point
 * found over all targets and restarts, and its distance (Infinity where none was found; 0 for points
 * misclassified already, which are returned unchanged).
 */
export function fabMinimal(
  model: LogitsFn,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  options: Partial<FabOptions>,
  seed: number,
): { xAdv: tf.Tensor4D; norms: Float64Array; notes: Record<string, unknown> } {
  assertBatch('fabMinimal', x, y);
  const o = resolveFabOptions(options);
  const out = runFab(model, x, y, o, seed, true);
  const pred = predictFlat(
    model,
    Float32Array.from(x.dataSync()),
    { shape: x.shape as [number, number, number, number], dim: x.size / x.shape[0] },
    x.shape[0],
  ).pred;
  const labels = labelsOf(y);
  const norms = Float64Array.from(out.dist, (d, i) => (pred[i] !== labels[i] ? 0 : d));
  return { xAdv: tf.tensor4d(out.adv, x.shape), norms, notes: notesOf(o, out) };
}
