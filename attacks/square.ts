/**
 * @module Square Attack (Andriushchenko, Croce, Flammarion & Hein, "Square Attack: a query-efficient
 * black-box adversarial attack via random search", ECCV 2020, https://arxiv.org/abs/1912.00049), as in
 * fra31/auto-attack's `square.py`. Distance measure: Linf or L2. Gradient-free: it only reads logits.
 *
 * Random search on the margin loss z_y - max_{i!=y} z_i (lower is better). Linf: start from vertical
 * stripes x ± eps (one sign per column and channel); each query changes one random square window (side
 * from the p schedule, same window for the whole batch) to x ± eps with one random sign per channel,
 * and keeps it per example when the loss drops or the point becomes misclassified. L2: start from a grid
 * of centred "double rectangle" patterns rescaled to norm eps; each query moves the mass of a second
 * window into the first, redrawn as a signed pattern, and renormalises to norm eps. The window area is
 * p * (H*W) with p = p_init halved at queries 10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000 (optionally
 * rescaled to the query budget; AutoAttack does not). Only points not yet fooled are queried.
 *
 * Shapes: x [N,H,W,C] in [0,1] (square images work best), y [N] int labels; xAdv like x, owned by the caller.
 *
 * @example
 * const { xAdv, notes } = square({ norm: 'Linf', eps: 8 / 255, nQueries: 5000 }).run(logits, x, y, 0);
 */
import * as tf from '@tensorflow/tfjs-core';
import '../harness/foundation/tensor/setup.ts';
import type { Rng } from '../harness/foundation/rng.ts';
import { DEFAULT_EPS } from './apgd.ts';
import type { Attack, AttackResult, LogitsFn, Norm } from './types.ts';
import {
  assertBatch,
  assertCount,
  assertNorm,
  assertPositive,
  attackRng,
  indicesOf,
  labelsOf,
  roundHalfEven,
} from './utils.ts';

export interface SquareOptions {
  /** @default 'Linf' */
  readonly norm: Norm;
  /** @default 8/255 (Linf), 0.5 (L2) */
  readonly eps: number;
  /** Queries per restart. @default 5000 */
  readonly nQueries: number;
  /** Initial fraction of pixels changed per query. @default 0.8 */
  readonly pInit: number;
  /** @default 1 */
  readonly restarts: number;
  /** Loss minimised: the margin, or -CE. @default 'margin' */
  readonly loss: 'margin' | 'ce';
  /** Stretch the p schedule (written for 10,000 queries) to `nQueries`. AutoAttack: false. @default false */
  readonly rescaleSchedule: boolean;
  /**
   * Let windows reach the last row and column. The reference draws the window corner with
   * random_int(0, h - s), which never returns h - s, so the last row and column keep their initial
   * value: negligible at 224 px, a real handicap on tiny images. @default false (as the reference)
   */
  readonly fullCoverage: boolean;
}

export const SQUARE_DEFAULTS: Omit<SquareOptions, 'eps'> = {
  norm: 'Linf',
  nQueries: 5000,
  pInit: 0.8,
  restarts: 1,
  loss: 'margin',
  rescaleSchedule: false,
  fullCoverage: false,
};

export function resolveSquareOptions(options: Partial<SquareOptions>): SquareOptions {
  const norm = options.norm ?? SQUARE_DEFAULTS.norm;
  const o: SquareOptions = { ...SQUARE_DEFAULTS, eps: DEFAULT_EPS[norm], ...options };
  assertNorm('square', o.norm);
  assertPositive('square', { eps: o.eps, pInit: o.pInit });
  assertCount('square', { nQueries: o.nQueries, restarts: o.restarts });
  if (o.pInit > 1) throw new Error(`square: pInit must be in (0, 1], got ${o.pInit}`);
  if (o.loss !== 'margin' && o.loss !== 'ce') throw new Error(`square: loss must be 'margin' or 'ce', got '${o.loss}'`);
  return o;
}

/** The reference's schedule of p (fraction of pixels in the window) over queries. */
export function squareP(pInit: number, iteration: number, nQueries: number, rescale: boolean): number {
  const it = rescale ? Math.trunc((iteration / nQueries) * 10000) : iteration;
  const cuts = [10, 50, 200, 500, 1000, 2000, 4000, 6000, 8000];
  let halvings = 0;
  for (const c of cuts) if (it > c) halvings++;
  return pInit / 2 ** halvings;
}

interface Geometry {
  readonly h: number;
  readonly w: number;
  readonly c: number;
  readonly dim: number;
}

const offset = (g: Geometry, n: number, i: number, j: number, ch: number) => ((n * g.h + i) * g.w + j) * g.c + ch;

/** ±1 with equal probability. */
const sign = (rng: Rng) => (rng.next() < 0.5 ? -1 : 1);
/** A window corner in [0, m): the reference's random_int(0, m) never draws m itself; fullCoverage allows it. */
const corner = (rng: Rng, m: number, o: SquareOptions) => Math.floor((o.fullCoverage ? m + 1 : m) * rng.next());

/** Concentric rectangles with weights 1/(ring+1)^2, unit L2 norm: the L2 building block ([rows][cols]). */
function etaRectangles(rows: number, cols: number): Float64Array {
  const d = new Float64Array(rows * cols);
  if (rows === 0 || cols === 0) return d;
  let r0 = Math.floor(rows / 2);
  let c0 = Math.floor(cols / 2);
  const rings = Math.max(Math.floor(rows / 2) + 1, Math.floor(cols / 2) + 1);
  for (let ring = 0; ring < rings; ring++) {
    for (let i = Math.max(r0, 0); i < Math.min(r0 + 2 * ring + 1, rows); i++) {
      for (let j = Math.max(c0, 0); j < Math.min(c0 + 2 * ring + 1, cols); j++) d[i * cols + j] += 1 / (ring + 1) ** 2;
    }
    r0--;
    c0--;
  }
  let s = 0;
  for (const v of d) s += v * v;
  const norm = Math.sqrt(s);
  for (let i = 0; i < d.length; i++) d[i] /= norm;
  return d;
}

/** An s x s pattern: rectangles on the top half, negated ones below, unit norm, transposed with probability 1/2. */
function eta(s: number, rng: Rng): Float64Array {
  const top = Math.floor(s / 2);
  const d = new Float64Array(s * s);
  d.set(etaRectangles(top, s), 0);
  const bottom = etaRectangles(s - top, s);
  for (let i = 0; i < bottom.length; i++) d[top * s + i] = -bottom[i];
  let n2 = 0;
  for (const v of d) n2 += v * v;
  const norm = Math.sqrt(n2) || 1;
  for (let i = 0; i < d.length; i++) d[i] /= norm;
  if (rng.next() > 0.5) {
    const t = new Float64Array(s * s);
    for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) t[j * s + i] = d[i * s + j];
    return t;
  }
  return d;
}

/**
 * Margin z_y - max_{i!=y} z_i, the loss to minimise (margin or -CE) and the predicted class (the first
 * largest logit, as argMax picks), per point: one forward serves the search and the final verdict.
 */
function marginAndLoss(
  model: LogitsFn,
  data: Float32Array,
  g: Geometry,
  y: Int32Array,
  loss: 'margin' | 'ce',
): { margin: Float64Array; loss: Float64Array; pred: Int32Array } {
  const n = y.length;
  const z = tf.tidy(() => model(tf.tensor4d(data, [n, g.h, g.w, g.c])));
  const v = z.dataSync();
  const k = z.shape[1];
  z.dispose();
  const margin = new Float64Array(n);
  const out = new Float64Array(n);
  const pred = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const zy = v[i * k + y[i]];
    let other = -Infinity;
    let max = -Infinity;
    for (let j = 0; j < k; j++) {
      max = Math.max(max, v[i * k + j]);
      if (j !== y[i]) other = Math.max(other, v[i * k + j]);
      if (v[i * k + j] > v[i * k + pred[i]]) pred[i] = j;
    }
    margin[i] = zy - other;
    if (loss === 'margin') out[i] = margin[i];
    else {
      let se = 0;
      for (let j = 0; j < k; j++) se += Math.exp(v[i * k + j] - max);
      out[i] = zy - max - Math.log(se); // -CE
    }
  }
  return { margin, loss: out, pred };
}

function l2(v: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += v[i] * v[i];
  return Math.sqrt(s);
}

/** Linf start: x + eps * (one random sign per example, column and channel), clipped. */
function linfStart(x: Float32Array, n: number, g: Geometry, eps: number, rng: Rng): Float32Array {
  const out = new Float32Array(x.length);
  for (let e = 0; e < n; e++) {
    for (let ch = 0; ch < g.c; ch++) {
      for (let j = 0; j < g.w; j++) {
        const s = sign(rng) * eps;
        for (let i = 0; i < g.h; i++) {
          const o = offset(g, e, i, j, ch);
          out[o] = Math.min(1, Math.max(0, x[o] + s));
        }
      }
    }
  }
  return out;
}

/** L2 start: a grid of signed eta patterns (side h // 5), the whole rescaled to norm eps, clipped. */
function l2Start(x: Float32Array, n: number, g: Geometry, eps: number, rng: Rng): Float32Array {
  const delta = new Float64Array(x.length);
  const s = Math.max(Math.floor(g.h / 5), 1);
  const start = Math.floor((g.h - s * 5) / 2);
  let vh = Math.max(start, 0);
  for (let a = 0; a < Math.floor(g.h / s); a++) {
    let vw = Math.max(start, 0);
    for (let bIdx = 0; bIdx < Math.floor(g.w / s); bIdx++) {
      const pattern = eta(s, rng);
      for (let e = 0; e < n; e++) {
        for (let ch = 0; ch < g.c; ch++) {
          const sg = sign(rng);
          for (let i = 0; i < s && vh + i < g.h; i++) {
            for (let j = 0; j < s && vw + j < g.w; j++)
              delta[offset(g, e, vh + i, vw + j, ch)] += sg * pattern[i * s + j];
          }
        }
      }
      vw += s;
    }
    vh += s;
  }
  const out = new Float32Array(x.length);
  for (let e = 0; e < n; e++) {
    const norm = l2(delta, e * g.dim, (e + 1) * g.dim);
    for (let p = e * g.dim; p < (e + 1) * g.dim; p++)
      out[p] = Math.min(1, Math.max(0, x[p] + (delta[p] / (norm + 1e-12)) * eps));
  }
  return out;
}

/** One Linf proposal for the points `idx` (rows of x / xBest), written into `out` (compact rows). */
function linfProposal(
  x: Float32Array,
  xBest: Float32Array,
  idx: number[],
  g: Geometry,
  o: SquareOptions,
  it: number,
  rng: Rng,
  out: Float32Array,
): void {
  const p = squareP(o.pInit, it, o.nQueries, o.rescaleSchedule);
  let s = Math.max(roundHalfEven(Math.sqrt((p * g.dim) / g.c)), 1);
  s = Math.min(s, Math.min(g.h, g.w));
  const vh = corner(rng, g.h - s, o);
  const vw = corner(rng, g.w - s, o);
  const signs = Array.from({ length: g.c }, () => sign(rng));
  idx.forEach((e, r) => {
    out.set(xBest.subarray(e * g.dim, (e + 1) * g.dim), r * g.dim);
    for (let i = vh; i < vh + s; i++) {
      for (let j = vw; j < vw + s; j++) {
        for (let ch = 0; ch < g.c; ch++) {
          const src = offset(g, e, i, j, ch);
          const v = xBest[src] + 2 * o.eps * signs[ch];
          const boxed = Math.min(Math.max(v, x[src] - o.eps), x[src] + o.eps);
          out[offset(g, r, i, j, ch)] = Math.min(1, Math.max(0, boxed));
        }
      }
    }
  });
}

/** One L2 proposal (see the module comment), written into `out`. */
function l2Proposal(
  x: Float32Array,
  xBest: Float32Array,
  idx: number[],
  g: Geometry,
  o: SquareOptions,
  it: number,
  rng: Rng,
  out: Float32Array,
): void {
  const p = squareP(o.pInit, it, o.nQueries, o.rescaleSchedule);
  let s = Math.max(roundHalfEven(Math.sqrt((p * g.dim) / g.c)), 3);
  if (s % 2 === 0) s++;
  s = Math.min(s, Math.min(g.h, g.w));
  const vh = corner(rng, g.h - s, o);
  const vw = corner(rng, g.w - s, o);
  const vh2 = corner(rng, g.h - s, o);
  const vw2 = corner(rng, g.w - s, o);
  const pattern = eta(s, rng);
  const signs = idx.map(() => Array.from({ length: g.c }, () => sign(rng)));
  const in1 = (i: number, j: number) => i >= vh && i < vh + s && j >= vw && j < vw + s;
  const in2 = (i: number, j: number) => i >= vh2 && i < vh2 + s && j >= vw2 && j < vw2 + s;
  const delta = new Float64Array(g.dim);
  idx.forEach((e, r) => {
    const base = e * g.dim;
    for (let q = 0; q < g.dim; q++) delta[q] = xBest[base + q] - x[base + q];
    const normImage = l2(delta, 0, g.dim);
    const at = (i: number, j: number, ch: number) => (i * g.w + j) * g.c + ch;
    for (let ch = 0; ch < g.c; ch++) {
      let w1 = 0;
      let union = 0;
      for (let i = 0; i < g.h; i++) {
        for (let j = 0; j < g.w; j++) {
          const v = delta[at(i, j, ch)];
          if (in1(i, j)) w1 += v * v;
          if (in1(i, j) || in2(i, j)) union += v * v;
        }
      }
      const normWindow1 = Math.sqrt(w1);
      // New window content: signed pattern plus the old content of window 1 (unit-normalised), rescaled so
      // the window takes the union's mass plus this channel's share of the budget still unused.
      const fresh = new Float64Array(s * s);
      let n2 = 0;
      for (let i = 0; i < s; i++) {
        for (let j = 0; j < s; j++) {
          const v = pattern[i * s + j] * signs[r][ch] + delta[at(vh + i, vw + j, ch)] / (1e-12 + normWindow1);
          fresh[i * s + j] = v;
          n2 += v * v;
        }
      }
      const target = Math.sqrt(Math.max(o.eps * o.eps - normImage * normImage, 0) / g.c + union);
      const scale = target / (1e-12 + Math.sqrt(n2));
      for (let i = vh2; i < vh2 + s; i++) for (let j = vw2; j < vw2 + s; j++) delta[at(i, j, ch)] = 0;
      for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) delta[at(vh + i, vw + j, ch)] = fresh[i * s + j] * scale;
    }
    const norm = l2(delta, 0, g.dim);
    for (let q = 0; q < g.dim; q++)
      out[r * g.dim + q] = Math.min(1, Math.max(0, x[base + q] + (delta[q] / (norm + 1e-12)) * o.eps));
  });
}

/**
 * One run of random search on all given points; returns the final points, the model's prediction on each
 * (from the forward that accepted it: the reference runs the model on them once more) and the queries used.
 */
function singleRun(
  model: LogitsFn,
  x: Float32Array,
  y: Int32Array,
  g: Geometry,
  o: SquareOptions,
  rng: Rng,
): { xBest: Float32Array; pred: Int32Array; queries: Float64Array } {
  const n = y.length;
  const xBest = o.norm === 'Linf' ? linfStart(x, n, g, o.eps, rng) : l2Start(x, n, g, o.eps, rng);
  const first = marginAndLoss(model, xBest, g, y, o.loss);
  const marginMin = first.margin;
  const lossMin = first.loss;
  const pred = first.pred;
  const queries = new Float64Array(n).fill(1);
  if (marginMin.every((m) => m < 0)) return { xBest, pred, queries };
  for (let it = 0; it < o.nQueries; it++) {
    const idx = indicesOf(Array.from(marginMin, (m) => (m > 0 ? 1 : 0)));
    if (idx.length === 0) break;
    const proposal = new Float32Array(idx.length * g.dim);
    if (o.norm === 'Linf') linfProposal(x, xBest, idx, g, o, it, rng, proposal);
    else l2Proposal(x, xBest, idx, g, o, it, rng, proposal);
    const ys = Int32Array.from(idx, (e) => y[e]);
    const step = marginAndLoss(model, proposal, g, ys, o.loss);
    const { margin, loss } = step;
    idx.forEach((e, r) => {
      const lower = loss[r] < lossMin[e];
      if (lower) lossMin[e] = loss[r];
      if (lower || margin[r] <= 0) {
        marginMin[e] = margin[r];
        pred[e] = step.pred[r];
        xBest.set(proposal.subarray(r * g.dim, (r + 1) * g.dim), e * g.dim);
      }
      queries[e] += 1;
    });
    if (marginMin.every((m) => m <= 0)) break;
  }
  return { xBest, pred, queries };
}

function predictFlat(model: LogitsFn, data: Float32Array, g: Geometry, n: number): Int32Array {
  const p = tf.tidy(() => tf.argMax(model(tf.tensor4d(data, [n, g.h, g.w, g.c])), 1));
  const out = Int32Array.from(p.dataSync());
  p.dispose();
  return out;
}

function median(v: number[]): number {
  if (!v.length) return NaN;
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Square Attack with AutoAttack's settings (5000 queries, p_init 0.8, margin loss, no schedule rescaling). */
export function square(options: Partial<SquareOptions> = {}): Attack {
  const o = resolveSquareOptions(options);
  return {
    id: 'square',
    norm: o.norm,
    eps: o.eps,
    options: { ...o },
    run(model, x, y, seed): AttackResult {
      assertBatch('square', x, y);
      if (x.shape[0] === 0) return { xAdv: tf.clone(x) };
      const [n, h, w, c] = x.shape;
      const g: Geometry = { h, w, c, dim: h * w * c };
      const rng = attackRng('square', seed);
      const data = Float32Array.from(x.dataSync());
      const labels = labelsOf(y);
      const adv = Float32Array.from(data);
      const clean = predictFlat(model, data, g, n);
      const acc = Uint8Array.from(clean, (p, i) => (p === labels[i] ? 1 : 0));
      const queriesToSuccess: number[] = [];
      let queriesTotal = 0;
      for (let r = 0; r < o.restarts; r++) {
        const idx = indicesOf(acc);
        if (idx.length === 0) break;
        const xs = new Float32Array(idx.length * g.dim);
        idx.forEach((e, q) => xs.set(data.subarray(e * g.dim, (e + 1) * g.dim), q * g.dim));
        const ys = Int32Array.from(idx, (e) => labels[e]);
        const run = singleRun(model, xs, ys, g, o, rng);
        idx.forEach((e, q) => {
          queriesTotal += run.queries[q];
          if (run.pred[q] === ys[q]) return;
          acc[e] = 0;
          adv.set(run.xBest.subarray(q * g.dim, (q + 1) * g.dim), e * g.dim);
          queriesToSuccess.push(run.queries[q]);
        });
      }
      const notes = {
        nQueries: o.nQueries,
        restarts: o.restarts,
        successes: queriesToSuccess.length,
        queriesTotal,
        meanQueriesToSuccess: queriesToSuccess.length
          ? queriesToSuccess.reduce((a, b) => a + b, 0) / queriesToSuccess.length
          : null,
        medianQueriesToSuccess: queriesToSuccess.length ? median(queriesToSuccess) : null,
      };
      return { xAdv: tf.tensor4d(adv, x.shape), notes };
    },
  };
}
