import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fab, fabMinimal } from '../../attacks/fab.ts';
import { projectOntoHyperplaneBox } from '../../attacks/fab-projections.ts';
import { Rng } from '../../harness/foundation/rng.ts';
import { useCpuBackend } from '../support/tf.ts';
import {
  accuracy,
  correctFlags,
  exactMinL2,
  exactMinLinf,
  linearClassifier,
  linearProblem,
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

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);
const normOf = (d: ArrayLike<number>, norm: 'Linf' | 'L2') =>
  norm === 'Linf' ? Math.max(...Array.from(d, Math.abs)) : Math.sqrt(Array.from(d).reduce((s, v) => s + v * v, 0));

describe('FAB projection onto a hyperplane within the box', () => {
  it('lands on the hyperplane, inside the box, with the exact minimal Linf / L2 norm', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 40; trial++) {
      const dim = 3 + (trial % 9);
      const t = Array.from({ length: dim }, () => rng.next());
      const w = Array.from({ length: dim }, () => 2 * rng.next() - 1);
      if (trial % 5 === 0) w[0] = 0; // a coordinate that must not move
      // A binary linear classifier (w, -b) whose boundary is the hyperplane: its exact minimal
      // perturbation (fixtures, by bisection) is the projection's norm.
      const b = dot(w, t) + (rng.next() - 0.5) * 0.6;
      const lin = linearClassifier(
        w.map((v) => [v, 0]),
        [-b, 0],
      );
      const y = dot(w, t) - b >= 0 ? 0 : 1;
      for (const norm of ['Linf', 'L2'] as const) {
        const d = projectOntoHyperplaneBox(norm, t, w, b);
        const z = t.map((v, i) => v + d[i]);
        for (const v of z) {
          expect(v).toBeGreaterThanOrEqual(-1e-12);
          expect(v).toBeLessThanOrEqual(1 + 1e-12);
        }
        if (w[0] === 0) expect(d[0]).toBe(0);
        const exact = norm === 'Linf' ? exactMinLinf(lin, t, y) : exactMinL2(lin, t, y);
        if (Number.isFinite(exact)) {
          expect(dot(w, z)).toBeCloseTo(b, 9);
          expect(normOf(d, norm)).toBeCloseTo(exact, 6);
        } else {
          // Out of reach: the corner that gets closest, every moving coordinate at its box edge.
          w.forEach((wi, i) => {
            if (wi !== 0) expect(z[i] === 0 || z[i] === 1).toBe(true);
          });
        }
      }
      lin.dispose();
    }
  });

  it('goes to the nearest box corner when the hyperplane is out of reach', () => {
    for (const norm of ['Linf', 'L2'] as const) {
      const d = projectOntoHyperplaneBox(norm, [0.5, 0.25, 0.5], [1, -2, 0], 5);
      expect(Array.from(d)).toEqual([0.5, -0.25, 0]);
    }
  });

  it('does not move a point already on the hyperplane', () => {
    for (const norm of ['Linf', 'L2'] as const) {
      const d = projectOntoHyperplaneBox(norm, [0.25, 0.5], [1, 1], 0.75);
      expect(Math.max(...Array.from(d, Math.abs))).toBe(0);
    }
  });
});

describe('FAB', () => {
  it('has the reference defaults', () => {
    expect(fab().id).toBe('fab-t');
    expect(fab().options).toMatchObject({
      norm: 'Linf',
      eps: 8 / 255,
      nIter: 100,
      restarts: 1,
      alphaMax: 0.1,
      eta: 1.05,
      beta: 0.9,
      targeted: true,
      nTargetClasses: 9,
    });
    expect(fab({ targeted: false }).id).toBe('fab');
    expect(() => fab({ beta: 2 })).toThrow(/beta/);
  });

  for (const norm of ['Linf', 'L2'] as const) {
    it(`FAB-T finds ${norm} perturbations no larger than the exact minimum (+2%) on linear classifiers`, () => {
      for (const k of [2, 5]) {
        const p = linearProblem({ k, n: 24, eps: 0.05, seed: 20 + k, gap: 0 });
        const { norms, xAdv } = fabMinimal(p.lin.model, p.x, p.y, { norm }, 0);
        const d = p.lin.w.length;
        for (let i = 0; i < p.labels.length; i++) {
          const point = p.points.subarray(i * d, (i + 1) * d);
          const exact =
            norm === 'Linf' ? exactMinLinf(p.lin, point, p.labels[i]) : exactMinL2(p.lin, point, p.labels[i]);
          expect(norms[i]).toBeGreaterThanOrEqual(exact - 1e-5);
          expect(norms[i]).toBeLessThanOrEqual(exact * 1.02 + 1e-4);
        }
        // The returned points are adversarial at the reported distance.
        expect(correctFlags(p.lin.model, xAdv, p.y).every((c) => !c)).toBe(true);
        xAdv.dispose();
        p.dispose();
      }
    });
  }

  it('untargeted FAB matches the exact Linf minimum on a 5-class linear classifier', () => {
    const p = linearProblem({ k: 5, n: 20, eps: 0.05, seed: 31, gap: 0 });
    const { norms, xAdv } = fabMinimal(p.lin.model, p.x, p.y, { norm: 'Linf', targeted: false }, 0);
    const d = p.lin.w.length;
    for (let i = 0; i < p.labels.length; i++) {
      const exact = exactMinLinf(p.lin, p.points.subarray(i * d, (i + 1) * d), p.labels[i]);
      expect(norms[i]).toBeLessThanOrEqual(exact * 1.02 + 1e-4);
    }
    xAdv.dispose();
    p.dispose();
  });

  it('as an attack: reaches the exact robust accuracy at eps and returns only perturbations within eps', () => {
    const eps = 0.1;
    const p = linearProblem({ k: 5, n: 80, eps, seed: 8 });
    const { xAdv, notes } = fab({ eps }).run(p.lin.model, p.x, p.y, 0);
    expect(correctFlags(p.lin.model, xAdv, p.y)).toEqual(p.robust);
    const s = perturbationStats(p.x, xAdv, 'Linf');
    expect(s.max).toBeLessThanOrEqual(eps + 1e-6);
    expect(s.inBox).toBe(true);
    expect(notes).toMatchObject({ targeted: true, nTargetClasses: 4, targetsCapped: { requested: 9, used: 4 } });
    xAdv.dispose();
    p.dispose();
  });

  it('lowers the accuracy of a trained network within the threat model (Linf and L2, with restarts)', () => {
    const clean = accuracy(net.model, net.x, net.y);
    for (const attack of [
      fab({ eps: 0.08, nIter: 30 }),
      fab({ norm: 'L2', eps: 0.6, nIter: 30, targeted: false, restarts: 2 }),
    ]) {
      const { xAdv } = attack.run(net.model, net.x, net.y, 0);
      const s = perturbationStats(net.x, xAdv, attack.norm);
      expect(s.max).toBeLessThanOrEqual(attack.eps * (1 + 1e-5));
      expect(s.inBox).toBe(true);
      expect(accuracy(net.model, xAdv, net.y)).toBeLessThan(clean);
      xAdv.dispose();
    }
  });

  it('is deterministic for a seed and does not leak tensors', () => {
    const attack = fab({ eps: 0.08, nIter: 5, restarts: 2, targeted: false });
    const a = attack.run(net.model, net.x, net.y, 1).xAdv;
    const before = tf.memory().numTensors;
    const b = attack.run(net.model, net.x, net.y, 1).xAdv;
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    b.dispose();
    fab({ eps: 0.08, nIter: 5 }).run(net.model, net.x, net.y, 2).xAdv.dispose();
    fabMinimal(net.model, net.x, net.y, { nIter: 3, norm: 'L2' }, 0).xAdv.dispose();
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });
});
