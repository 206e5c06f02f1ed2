import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cw } from '../../attacks/cw.ts';
import { fgsm } from '../../attacks/fgsm.ts';
import { pgd, projectToBall } from '../../attacks/pgd.ts';
import type { LogitsFn } from '../../attacks/types.ts';
import { checkPerturbation, emptyStats } from '../../harness/orchestration/evaluate/perturbation-check.ts';
import { useCpuBackend } from '../support/tf.ts';
import {
  accuracy,
  countCorrect,
  correctFlags,
  linearProblem,
  perturbationStats,
  trainTinyNet,
  type TinyNet,
} from './fixtures.ts';

// A fixed linear classifier on 4x4 images: class 0 likes the left half bright, class 1 the right half.
let W: tf.Tensor2D;
let x: tf.Tensor4D;
let y: tf.Tensor1D;
const model: LogitsFn = (z) => tf.matMul(tf.reshape(z, [z.shape[0], 16]), W);
let net: TinyNet;

beforeAll(async () => {
  await useCpuBackend();
  const w = new Float32Array(32);
  for (let p = 0; p < 16; p++) {
    const left = p % 4 < 2;
    w[p * 2] = left ? 1 : -1;
    w[p * 2 + 1] = left ? -1 : 1;
  }
  W = tf.tensor2d(w, [16, 2]);
  // Points with margins from small to large, so a bounded attack flips some and not others.
  const pixels: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 32; i++) {
    const label = i % 2;
    const strength = 0.02 + 0.01 * i;
    for (let p = 0; p < 16; p++) {
      const left = p % 4 < 2;
      pixels.push(0.5 + (left === (label === 0) ? strength : -strength));
    }
    labels.push(label);
  }
  x = tf.tensor4d(pixels, [32, 4, 4, 1]);
  y = tf.tensor1d(labels, 'int32');
  net = trainTinyNet();
});

afterAll(() => {
  tf.dispose([W, x, y]);
  net.dispose();
});

describe('PGD', () => {
  it('stays inside [0,1] and the Linf ball, and lowers accuracy as the closed form says', () => {
    const eps = 0.1;
    const { xAdv } = pgd({ eps, alpha: 0.025, steps: 10 }).run(model, x, y, 1);
    const stats = checkPerturbation(x, xAdv, { norm: 'Linf', eps }, emptyStats());
    expect(stats.overEpsCount + stats.outOfBoxCount + stats.nanCount).toBe(0);
    expect(stats.maxPerturbation).toBeLessThanOrEqual(eps + 1e-6);
    expect(accuracy(model, x, y)).toBe(1);
    // Margin 16 * 2 * strength vs. the worst case Linf shift 16 * 2 * eps: robust iff strength > eps.
    // strength = 0.02 + 0.01 i > 0.1  <=>  i >= 9 (i = 8 ties and flips to the other class or not): 23 or 24 of 32.
    expect(accuracy(model, xAdv, y)).toBeGreaterThanOrEqual(23 / 32);
    expect(accuracy(model, xAdv, y)).toBeLessThanOrEqual(24 / 32);
    xAdv.dispose();
  });

  it('reaches the exact Linf robust accuracy of a random binary linear classifier, box included', () => {
    const eps = 0.1;
    const p = linearProblem({ k: 2, n: 120, eps, seed: 3 });
    const { xAdv } = pgd({ eps, alpha: eps / 4, steps: 10 }).run(p.lin.model, p.x, p.y, 0);
    expect(correctFlags(p.lin.model, xAdv, p.y)).toEqual(p.robust);
    const s = perturbationStats(p.x, xAdv, 'Linf');
    expect(s.max).toBeLessThanOrEqual(eps + 1e-6);
    expect(s.inBox).toBe(true);
    xAdv.dispose();
    p.dispose();
  });

  it('stays in the L2 ball, starting uniformly inside it', () => {
    const eps = 0.5;
    const { xAdv } = pgd({ norm: 'L2', eps, alpha: 0.1, steps: 10 }).run(model, x, y, 2);
    const stats = checkPerturbation(x, xAdv, { norm: 'L2', eps }, emptyStats());
    expect(stats.overEpsCount).toBe(0);
    expect(stats.maxPerturbation).toBeGreaterThan(0.4);
    expect(accuracy(model, xAdv, y)).toBeLessThan(1);
    xAdv.dispose();
    // With a zero gradient the step does nothing: the random start is inside the ball, not at the centre.
    const flat: LogitsFn = (z) => tf.mul(model(z), 0) as tf.Tensor2D;
    const start = pgd({ norm: 'L2', eps, alpha: 0.1, steps: 1 }).run(flat, x, y, 3).xAdv;
    const s = perturbationStats(x, start, 'L2');
    expect(s.max).toBeLessThanOrEqual(eps + 1e-6);
    expect(s.max).toBeGreaterThan(0.3);
    start.dispose();
  });

  it('lowers the accuracy of a small trained network, Linf and L2, within the threat model', () => {
    expect(accuracy(net.model, net.x, net.y)).toBeGreaterThan(0.9);
    for (const [norm, eps] of [
      ['Linf', 0.08],
      ['L2', 0.6],
    ] as const) {
      const { xAdv } = pgd({ norm, eps, alpha: eps / 4, steps: 10 }).run(net.model, net.x, net.y, 0);
      const s = perturbationStats(net.x, xAdv, norm);
      expect(s.max).toBeLessThanOrEqual(eps * (1 + 1e-5));
      expect(s.inBox).toBe(true);
      expect(accuracy(net.model, xAdv, net.y)).toBeLessThan(0.8);
      xAdv.dispose();
    }
  });

  it('is deterministic for a seed; restarts never do worse than one run', () => {
    const a = pgd({ eps: 0.08, alpha: 0.01, steps: 3 }).run(model, x, y, 5).xAdv;
    const b = pgd({ eps: 0.08, alpha: 0.01, steps: 3 }).run(model, x, y, 5).xAdv;
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const r = pgd({ eps: 0.08, alpha: 0.01, steps: 3, restarts: 3 }).run(model, x, y, 5).xAdv;
    expect(accuracy(model, r, y)).toBeLessThanOrEqual(accuracy(model, a, y));
    tf.dispose([a, b, r]);
    // On the trained network, per example: whatever one restart fools, three restarts fool too.
    for (const seed of [0, 1]) {
      const one = pgd({ eps: 0.06, alpha: 0.01, steps: 3 }).run(net.model, net.x, net.y, seed).xAdv;
      const three = pgd({ eps: 0.06, alpha: 0.01, steps: 3, restarts: 3 }).run(net.model, net.x, net.y, seed).xAdv;
      const f1 = correctFlags(net.model, one, net.y);
      const f3 = correctFlags(net.model, three, net.y);
      f1.forEach((robust, i) => {
        if (!robust) expect(f3[i]).toBe(false);
      });
      expect(f3.filter(Boolean).length).toBeLessThanOrEqual(f1.filter(Boolean).length);
      tf.dispose([one, three]);
    }
  });

  it('FGSM is one full-eps step; FGSM-RS starts at random', () => {
    const { xAdv } = fgsm({ eps: 0.05 }).run(model, x, y, 0);
    const stats = checkPerturbation(x, xAdv, { norm: 'Linf', eps: 0.05 }, emptyStats());
    expect(stats.maxPerturbation).toBeCloseTo(0.05, 5);
    xAdv.dispose();
    const rs = fgsm({ eps: 0.05, randomStart: true });
    expect(rs.id).toBe('fgsm-rs');
    expect(rs.options.alpha).toBeCloseTo(0.0625);
    const out = rs.run(model, x, y, 0).xAdv;
    expect(perturbationStats(x, out, 'Linf').max).toBeLessThanOrEqual(0.05 + 1e-6);
    out.dispose();
  });

  it('CW-Linf ascends the margin loss and DLR falls back to CE with 2 classes, on the record', () => {
    const attack = cw({ eps: 0.1, alpha: 0.025, steps: 10 });
    expect(attack.id).toBe('cw-linf');
    expect(attack.options).toMatchObject({ loss: 'cw', kappa: 50 });
    const { xAdv } = attack.run(model, x, y, 1);
    expect(countCorrect(model, xAdv, y)).toBeLessThanOrEqual(24);
    xAdv.dispose();
    const dlr = pgd({ eps: 0.1, alpha: 0.025, loss: 'dlr' }).run(model, x, y, 1);
    expect(dlr.notes).toMatchObject({ lossFallback: { from: 'dlr', to: 'ce' } });
    dlr.xAdv.dispose();
    const ok = pgd({ eps: 0.08, alpha: 0.02, loss: 'dlr' }).run(net.model, net.x, net.y, 1);
    expect(ok.notes).toBeUndefined();
    expect(accuracy(net.model, ok.xAdv, net.y)).toBeLessThan(accuracy(net.model, net.x, net.y));
    ok.xAdv.dispose();
  });

  it('rejects bad options with the contract in the message', () => {
    expect(() => pgd({ eps: 0 })).toThrow(/eps must be a positive number/);
    expect(() => pgd({ steps: 1.5 })).toThrow(/steps must be an integer/);
    expect(() => pgd({ norm: 'L1' as 'Linf' })).toThrow(/norm must be 'Linf' or 'L2'/);
    expect(() => pgd().run(model, x, tf.tensor1d([0]), 0)).toThrow(/labels/);
  });

  it('projectToBall clips to the ball and the box', () => {
    const c = tf.fill([1, 2, 2, 1], 0.5) as tf.Tensor4D;
    const far = tf.tensor4d([2, -1, 0.6, 0.5], [1, 2, 2, 1]);
    const p = projectToBall(c, far, 'Linf', 0.2);
    expect(Array.from(p.dataSync())).toEqual([0.7, 0.3, 0.6, 0.5].map((v) => Math.fround(v)));
    const q = projectToBall(c, far, 'L2', 0.1);
    expect(perturbationStats(c, q, 'L2').max).toBeCloseTo(0.1, 5);
    tf.dispose([c, far, p, q]);
  });

  it('does not leak tensors across calls', () => {
    for (const attack of [
      pgd({ eps: 0.05, alpha: 0.01, steps: 2, restarts: 2 }),
      pgd({ norm: 'L2', eps: 0.3, alpha: 0.1, steps: 2, restarts: 2, loss: 'dlr' }),
      cw({ steps: 2 }),
      fgsm(),
    ]) {
      attack.run(net.model, net.x, net.y, 0).xAdv.dispose();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) attack.run(net.model, net.x, net.y, i).xAdv.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });
});
