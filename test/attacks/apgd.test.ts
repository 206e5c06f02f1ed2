import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apgd, apgdSchedule, apgdT } from '../../attacks/apgd.ts';
import { pgd } from '../../attacks/pgd.ts';
import { crossEntropy } from '../../harness/foundation/nn/losses.ts';
import { useCpuBackend } from '../support/tf.ts';
import {
  accuracy,
  correctFlags,
  linearProblem,
  noisyModel,
  perturbationStats,
  trainTinyNet,
  type TinyNet,
} from './fixtures.ts';

let net: TinyNet;

beforeAll(async () => {
  await useCpuBackend();
  net = trainTinyNet();
});

afterAll(() => net.dispose());

describe('APGD', () => {
  it('uses the reference checkpoint schedule (0.22 / 0.06 / 0.03 of n_iter)', () => {
    expect(apgdSchedule(100)).toEqual({ first: 22, min: 6, decrease: 3 });
    expect(apgdSchedule(10)).toEqual({ first: 2, min: 1, decrease: 1 });
    expect(apgd().options).toMatchObject({
      norm: 'Linf',
      eps: 8 / 255,
      nIter: 100,
      restarts: 1,
      rho: 0.75,
      loss: 'ce',
      eotIter: 1,
    });
    expect(apgd({ norm: 'L2' }).eps).toBe(0.5);
    expect(apgdT().options).toMatchObject({ nTargetClasses: 9, nIter: 100, restarts: 1 });
    expect(() => apgd({ rho: 1.5 })).toThrow(/rho/);
    expect(() => apgd({ loss: 'dlr-targeted' as 'dlr' })).toThrow(/apgdT/);
  });

  it('APGD-CE reaches the exact Linf robust accuracy of a binary linear classifier (box included)', () => {
    const eps = 0.1;
    const p = linearProblem({ k: 2, n: 160, eps, seed: 5 });
    expect(p.exactRobustAccuracy).toBeGreaterThan(0.2);
    expect(p.exactRobustAccuracy).toBeLessThan(0.8);
    const { xAdv, notes } = apgd({ eps }).run(p.lin.model, p.x, p.y, 0);
    expect(correctFlags(p.lin.model, xAdv, p.y)).toEqual(p.robust);
    const s = perturbationStats(p.x, xAdv, 'Linf');
    expect(s.max).toBeLessThanOrEqual(eps + 1e-6);
    expect(s.inBox).toBe(true);
    expect(notes).toMatchObject({ loss: 'ce', restarts: 1, nIter: 100 });
    xAdv.dispose();
    p.dispose();
  });

  it('APGD-T reaches the exact Linf robust accuracy of a 5-class linear classifier', () => {
    const eps = 0.1;
    const p = linearProblem({ k: 5, n: 120, eps, seed: 8 });
    const { xAdv, notes } = apgdT({ eps }).run(p.lin.model, p.x, p.y, 0);
    expect(correctFlags(p.lin.model, xAdv, p.y)).toEqual(p.robust);
    expect(perturbationStats(p.x, xAdv, 'Linf').max).toBeLessThanOrEqual(eps + 1e-6);
    expect(notes).toMatchObject({ loss: 'dlr-targeted', nTargetClasses: 4, targetsCapped: { requested: 9, used: 4 } });
    xAdv.dispose();
    p.dispose();
  });

  it('APGD-CE L2 reaches the exact L2 robust accuracy of a binary linear classifier away from the box', () => {
    const eps = 0.3;
    const p = linearProblem({ k: 2, n: 120, eps, seed: 9, norm: 'L2', range: [0.3, 0.7], gap: 0.1 });
    expect(p.exactRobustAccuracy).toBeGreaterThan(0.1);
    expect(p.exactRobustAccuracy).toBeLessThan(0.9);
    const { xAdv } = apgd({ norm: 'L2', eps }).run(p.lin.model, p.x, p.y, 0);
    expect(correctFlags(p.lin.model, xAdv, p.y)).toEqual(p.robust);
    const s = perturbationStats(p.x, xAdv, 'L2');
    expect(s.max).toBeLessThanOrEqual(eps * (1 + 1e-5));
    expect(s.inBox).toBe(true);
    xAdv.dispose();
    p.dispose();
  });

  it('falls back explicitly below 3 classes (DLR) and 4 classes (targeted DLR)', () => {
    const eps = 0.1;
    const two = linearProblem({ k: 2, n: 40, eps, seed: 1 });
    const dlr = apgd({ eps, loss: 'dlr', nIter: 10 }).run(two.lin.model, two.x, two.y, 0);
    expect(dlr.notes).toMatchObject({ loss: 'ce', lossFallback: { from: 'dlr', to: 'ce' } });
    const t2 = apgdT({ eps, nIter: 10 }).run(two.lin.model, two.x, two.y, 0);
    expect(t2.notes).toMatchObject({
      loss: 'ce-targeted',
      lossFallback: { from: 'dlr-targeted', to: 'ce-targeted' },
      nTargetClasses: 1,
    });
    const three = linearProblem({ k: 3, n: 40, eps, seed: 2 });
    const d3 = apgd({ eps, loss: 'dlr', nIter: 10 }).run(three.lin.model, three.x, three.y, 0);
    expect(d3.notes).toMatchObject({ loss: 'dlr' });
    expect(d3.notes?.lossFallback).toBeUndefined();
    const t3 = apgdT({ eps, nIter: 10 }).run(three.lin.model, three.x, three.y, 0);
    expect(t3.notes).toMatchObject({ loss: 'ce-targeted', nTargetClasses: 2 });
    tf.dispose([dlr.xAdv, t2.xAdv, d3.xAdv, t3.xAdv]);
    two.dispose();
    three.dispose();
  });

  it('on a trained network: APGD-CE is at least as strong as PGD-10, and every variant stays in the threat model', () => {
    const eps = 0.08;
    const clean = accuracy(net.model, net.x, net.y);
    const p = pgd({ eps, alpha: eps / 4, steps: 10 }).run(net.model, net.x, net.y, 0).xAdv;
    const a = apgd({ eps }).run(net.model, net.x, net.y, 0).xAdv;
    const accPgd = accuracy(net.model, p, net.y);
    const accApgd = accuracy(net.model, a, net.y);
    expect(accPgd).toBeLessThan(clean);
    expect(accApgd).toBeLessThanOrEqual(accPgd);
    tf.dispose([p, a]);
    for (const attack of [
      apgd({ eps, loss: 'dlr', nIter: 30 }),
      apgdT({ eps, nIter: 20 }),
      apgd({ norm: 'L2', eps: 0.6, nIter: 30 }),
    ]) {
      const { xAdv } = attack.run(net.model, net.x, net.y, 1);
      const s = perturbationStats(net.x, xAdv, attack.norm);
      expect(s.max).toBeLessThanOrEqual(attack.eps * (1 + 1e-5));
      expect(s.inBox).toBe(true);
      expect(accuracy(net.model, xAdv, net.y)).toBeLessThan(clean);
      xAdv.dispose();
    }
  });

  it('leaves misclassified points alone; best-loss mode returns high-loss points for every point', () => {
    const eps = 0.05;
    // Mislabel the first four points: they are "already broken" and must come back unchanged.
    const labels = Array.from(net.y.dataSync());
    for (let i = 0; i < 4; i++) labels[i] = (labels[i] + 1) % net.numClasses;
    const yWrong = tf.tensor1d(labels, 'int32');
    const { xAdv } = apgd({ eps, nIter: 10 }).run(net.model, net.x, yWrong, 0);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.slice(xAdv, 0, 4), tf.slice(net.x, 0, 4)))).dataSync()[0]);
    expect(diff).toBe(0);
    xAdv.dispose();
    yWrong.dispose();

    const best = apgd({ eps, nIter: 20, bestLoss: true }).run(net.model, net.x, net.y, 0).xAdv;
    const [lossClean, lossBest] = tf.tidy(() => [
      crossEntropy(net.model(net.x), net.y, 'none').dataSync(),
      crossEntropy(net.model(best), net.y, 'none').dataSync(),
    ]);
    for (let i = 0; i < lossClean.length; i++) expect(lossBest[i]).toBeGreaterThan(lossClean[i]);
    expect(perturbationStats(net.x, best, 'Linf').max).toBeLessThanOrEqual(eps + 1e-6);
    best.dispose();
  });

  it('averages gradients over EOT samples on a randomised model and stays in the ball', () => {
    const noisy = noisyModel(net.model, 0.2);
    const { xAdv, notes } = apgd({ eps: 0.08, nIter: 5, eotIter: 4 }).run(noisy, net.x, net.y, 0);
    expect(notes).toMatchObject({ eotIter: 4 });
    expect(perturbationStats(net.x, xAdv, 'Linf').max).toBeLessThanOrEqual(0.08 + 1e-6);
    xAdv.dispose();
  });

  it('is deterministic for a seed and does not leak tensors', () => {
    const attacks = [
      apgd({ eps: 0.06, nIter: 8, restarts: 2 }),
      apgd({ eps: 0.06, nIter: 8, loss: 'dlr', bestLoss: true }),
      apgdT({ eps: 0.06, nIter: 5 }),
      apgd({ norm: 'L2', eps: 0.4, nIter: 8 }),
    ];
    for (const attack of attacks) {
      const a = attack.run(net.model, net.x, net.y, 3).xAdv;
      const before = tf.memory().numTensors;
      const b = attack.run(net.model, net.x, net.y, 3).xAdv;
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([a, b]);
      for (let i = 0; i < 2; i++) attack.run(net.model, net.x, net.y, i).xAdv.dispose();
      expect(tf.memory().numTensors).toBe(before - 1);
    }
  });
});
