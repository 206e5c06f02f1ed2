import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { square, squareP } from '../../attacks/square.ts';
import { useCpuBackend } from '../support/tf.ts';
import {
  accuracy,
  correctFlags,
  exactMinLinf,
  linearProblem,
  perturbationStats,
  trainTinyNet,
  zeroGradientModel,
  type TinyNet,
} from './fixtures.ts';

let net: TinyNet;

beforeAll(async () => {
  await useCpuBackend();
  net = trainTinyNet();
});

afterAll(() => net.dispose());

describe('Square', () => {
  it('has the reference defaults and p schedule', () => {
    expect(square().options).toMatchObject({
      norm: 'Linf',
      eps: 8 / 255,
      nQueries: 5000,
      pInit: 0.8,
      restarts: 1,
      loss: 'margin',
      rescaleSchedule: false,
      fullCoverage: false,
    });
    const p = (it: number) => squareP(0.8, it, 5000, false);
    expect([p(0), p(10), p(11), p(50), p(51), p(200), p(201), p(500), p(501)]).toEqual([
      0.8, 0.8, 0.4, 0.4, 0.2, 0.2, 0.1, 0.1, 0.05,
    ]);
    expect([p(1001), p(2001), p(4001), p(6001), p(8001), p(20000)]).toEqual([
      0.8 / 32,
      0.8 / 64,
      0.8 / 128,
      0.8 / 256,
      0.8 / 512,
      0.8 / 512,
    ]);
    // Rescaled: the schedule is written for 10,000 queries.
    expect(squareP(0.8, 500, 1000, true)).toBe(0.8 / 128);
    expect(() => square({ pInit: 2 })).toThrow(/pInit/);
  });

  it('on a linear classifier (Linf): never breaks an exactly robust point; with full window coverage it finds every other one', () => {
    const eps = 0.6;
    const p = linearProblem({ k: 3, n: 60, eps, seed: 12, shape: [8, 8, 1], block: 4, gap: 0 });
    const robust = p.labels.map((y, i) => exactMinLinf(p.lin, p.points.subarray(i * 64, (i + 1) * 64), y) > eps);
    const nonRobust = robust.filter((r) => !r).length;
    expect(nonRobust).toBeGreaterThan(5);
    const full = square({ eps, nQueries: 300, fullCoverage: true }).run(p.lin.model, p.x, p.y, 0);
    expect(correctFlags(p.lin.model, full.xAdv, p.y)).toEqual(robust);
    expect(full.notes).toMatchObject({ successes: nonRobust, nQueries: 300 });
    // The reference's placement never reaches the last row/column of an 8x8 image: weaker, still sound.
    const ref = square({ eps, nQueries: 300 }).run(p.lin.model, p.x, p.y, 0);
    const after = correctFlags(p.lin.model, ref.xAdv, p.y);
    robust.forEach((r, i) => {
      if (r) expect(after[i]).toBe(true);
    });
    expect(after.filter(Boolean).length).toBeLessThan(p.labels.length);
    for (const xAdv of [full.xAdv, ref.xAdv]) {
      const st = perturbationStats(p.x, xAdv, 'Linf');
      expect(st.max).toBeLessThanOrEqual(eps + 1e-6);
      expect(st.inBox).toBe(true);
      xAdv.dispose();
    }
    p.dispose();
  });

  it('L2: lowers the accuracy of a trained network within the L2 ball and the box', () => {
    const eps = 0.7;
    const clean = accuracy(net.model, net.x, net.y);
    const { xAdv, notes } = square({ norm: 'L2', eps, nQueries: 400 }).run(net.model, net.x, net.y, 0);
    expect(accuracy(net.model, xAdv, net.y)).toBeLessThan(clean);
    const st = perturbationStats(net.x, xAdv, 'L2');
    expect(st.max).toBeLessThanOrEqual(eps * (1 + 1e-5));
    expect(st.inBox).toBe(true);
    expect(Number(notes?.successes)).toBeGreaterThan(0);
    xAdv.dispose();
  });

  it('needs no gradient: it lowers the accuracy of a trained network whose gradients are zeroed', () => {
    const masked = zeroGradientModel(net.model);
    const clean = accuracy(masked, net.x, net.y);
    const { xAdv } = square({ eps: 0.1, nQueries: 400 }).run(masked, net.x, net.y, 0);
    expect(accuracy(masked, xAdv, net.y)).toBeLessThan(clean);
    expect(perturbationStats(net.x, xAdv, 'Linf').max).toBeLessThanOrEqual(0.1 + 1e-6);
    xAdv.dispose();
  });

  it('is deterministic for a seed and does not leak tensors', () => {
    const attack = square({ eps: 0.08, nQueries: 30 });
    const l2 = square({ norm: 'L2', eps: 0.5, nQueries: 30, restarts: 2 });
    const a = attack.run(net.model, net.x, net.y, 1).xAdv;
    const before = tf.memory().numTensors;
    const b = attack.run(net.model, net.x, net.y, 1).xAdv;
    const c = attack.run(net.model, net.x, net.y, 2).xAdv;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([b, c]);
    l2.run(net.model, net.x, net.y, 0).xAdv.dispose();
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });
});
