import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apgd } from '../../attacks/apgd.ts';
import { attacksOf, type AutoAttackState, type ComponentOverrides } from '../../attacks/autoattack.ts';
import { pgd } from '../../attacks/pgd.ts';
import { createAttack } from '../../attacks/registry.ts';
// autoAttack with its state also a file path (the state file lives on the harness side; one test resumes from it).
import { resumableAutoAttack as autoAttack } from '../../harness/orchestration/evaluate/autoattack-state-file.ts';
import { useCpuBackend } from '../support/tf.ts';
import {
  accuracy,
  correctFlags,
  linearProblem,
  noisyModel,
  perturbationStats,
  probabilityModel,
  trainTinyNet,
  zeroGradientModel,
  type TinyNet,
} from './fixtures.ts';

// Fewer Square queries than the paper's 5000 keep the file fast; everything else is the standard version.
const FAST: ComponentOverrides = { square: { nQueries: 300 } };

let net: TinyNet;
let dir: string;

beforeAll(async () => {
  await useCpuBackend();
  net = trainTinyNet({ numClasses: 4, n: 48 });
  dir = mkdtempSync(join(tmpdir(), 'rftbench-aa-'));
});

afterAll(() => {
  net.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('AutoAttack', () => {
  it('runs the reference versions and refuses a list with a non-custom version', () => {
    expect(attacksOf('standard')).toEqual(['apgd-ce', 'apgd-t', 'fab-t', 'square']);
    expect(attacksOf('plus')).toEqual(['apgd-ce', 'apgd-dlr', 'fab', 'square', 'apgd-t', 'fab-t']);
    expect(attacksOf('rand')).toEqual(['apgd-ce', 'apgd-dlr']);
    expect(attacksOf('custom', ['square', 'apgd-ce'])).toEqual(['square', 'apgd-ce']);
    expect(() => attacksOf('standard', ['apgd-ce'])).toThrow(/only allowed with version 'custom'/);
    expect(() => attacksOf('custom', ['apgd-xx'])).toThrow(/unknown attack 'apgd-xx'/);
    const standard = autoAttack().options.components as Record<string, Record<string, unknown>>;
    expect(standard['apgd-ce']).toMatchObject({ nIter: 100, restarts: 1 });
    expect(standard['apgd-t']).toMatchObject({ nTargetClasses: 9 });
    expect(standard.square).toMatchObject({ nQueries: 5000 });
    expect(createAttack('autoattack', { version: 'plus' }).id).toBe('autoattack-plus');
  });

  it('reaches the exact Linf robust accuracy of a 5-class linear classifier and stays in the threat model', () => {
    const eps = 0.1;
    const p = linearProblem({ k: 5, n: 80, eps, seed: 21 });
    expect(p.exactRobustAccuracy).toBeGreaterThan(0.15);
    expect(p.exactRobustAccuracy).toBeLessThan(0.85);
    const r = autoAttack({ eps, overrides: FAST }).evaluate(p.lin.model, p.x, p.y, 3);
    expect(r.robustFlags).toEqual(p.robust);
    expect(r.robustAccuracy).toBeCloseTo(p.exactRobustAccuracy, 10);
    expect(correctFlags(p.lin.model, r.xAdv, p.y)).toEqual(p.robust);
    const s = perturbationStats(p.x, r.xAdv, 'Linf');
    expect(s.max).toBeLessThanOrEqual(eps + 1e-6);
    expect(r.maxPerturbation).toBeCloseTo(s.max, 6);
    expect(s.inBox).toBe(true);
    expect(r.nanCount).toBe(0);
    // Accuracy only falls from one component to the next.
    const seq = [r.cleanAccuracy, ...r.robustAccuracyAfter.map((a) => a.robustAccuracy)];
    for (let i = 1; i < seq.length; i++) expect(seq[i]).toBeLessThanOrEqual(seq[i - 1]);
    r.xAdv.dispose();
    p.dispose();
  });

  it('reaches the exact L2 robust accuracy of a binary linear classifier', () => {
    const eps = 0.3;
    const p = linearProblem({ k: 2, n: 80, eps, seed: 9, norm: 'L2', range: [0.3, 0.7], gap: 0.1 });
    const r = autoAttack({ norm: 'L2', eps, overrides: FAST }).evaluate(p.lin.model, p.x, p.y, 0);
    expect(r.robustFlags).toEqual(p.robust);
    expect(perturbationStats(p.x, r.xAdv, 'L2').max).toBeLessThanOrEqual(eps + 1e-5);
    // Two classes: DLR cannot be used and the flag says so.
    expect(r.flags.map((f) => f.id)).toContain('too-few-classes');
    r.xAdv.dispose();
    p.dispose();
  });

  it('attacks only the points still robust, and is at least as strong as APGD-CE, which beats PGD-10', () => {
    const eps = 0.12;
    const lines: string[] = [];
    const pgdAdv = pgd({ eps, alpha: eps / 4, steps: 10 }).run(net.model, net.x, net.y, 1).xAdv;
    const apgdAdv = apgd({ eps }).run(net.model, net.x, net.y, 1).xAdv;
    const r = autoAttack({ eps, overrides: FAST, log: (l) => lines.push(l) }).evaluate(net.model, net.x, net.y, 1);
    const clean = accuracy(net.model, net.x, net.y);
    const accPgd = accuracy(net.model, pgdAdv, net.y);
    const accApgd = accuracy(net.model, apgdAdv, net.y);
    expect(clean).toBeGreaterThan(0.8);
    expect(accPgd).toBeLessThan(clean);
    expect(accApgd).toBeLessThanOrEqual(accPgd);
    expect(r.robustAccuracy).toBeLessThanOrEqual(accApgd);
    expect(r.robustAccuracy).toBeCloseTo(accuracy(net.model, r.xAdv, net.y), 10);
    // Each later component sees exactly the points robust after the one before.
    const n = net.x.shape[0];
    for (let i = 1; i < r.robustAccuracyAfter.length; i++) {
      const robustBefore = Math.round(r.robustAccuracyAfter[i - 1].robustAccuracy * n);
      const name = r.robustAccuracyAfter[i].attack;
      const line = lines.find((l) => l.startsWith(`${name} - 1/`));
      if (robustBefore === 0) expect(line).toBeUndefined();
      else expect(line).toMatch(new RegExp(`out of ${robustBefore}$`));
    }
    tf.dispose([pgdAdv, apgdAdv, r.xAdv]);
  });

  it('resumes from its saved per-point state after an interruption and ends where an uninterrupted run ends', async () => {
    const eps = 0.06;
    const quick: ComponentOverrides = {
      apgd: { nIter: 25 },
      apgdT: { nIter: 25 },
      fab: { nIter: 25 },
      square: { nQueries: 100 },
    };
    const aa = (state?: string) => autoAttack({ eps, batchSize: 16, overrides: quick, state });
    const full = aa().evaluate(net.model, net.x, net.y, 5);

    const state = join(dir, 'aa-state.json');
    const interrupted = aa(state).evaluateAsync(net.model, net.x, net.y, 5, (p) => {
      // Killed mid-attack: APGD-CE has done 2 of its 3 batches.
      if (p.attack === 'apgd-ce' && p.batch === 2) throw new Error('killed');
    });
    await expect(interrupted).rejects.toThrow('killed');
    const saved = JSON.parse(readFileSync(state, 'utf8')) as AutoAttackState;
    expect(saved.runAttacks).toEqual([]);
    expect(saved.inProgress).toMatchObject({ attack: 'apgd-ce', batchesDone: 2 });
    expect(full.robustAccuracyAfter.length).toBeGreaterThan(1);

    const resumed = aa(state).evaluate(net.model, net.x, net.y, 5);
    expect(resumed.resumed).toBe(true);
    expect(resumed.robustFlags).toEqual(full.robustFlags);
    expect(resumed.robustAccuracyAfter).toEqual(full.robustAccuracyAfter);
    expect(resumed.cleanAccuracy).toBe(full.cleanAccuracy);

    expect(() => autoAttack({ eps, version: 'plus', state }).evaluate(net.model, net.x, net.y, 5)).toThrow(
      /saved state was made for attacks/,
    );
    tf.dispose([full.xAdv, resumed.xAdv]);
  });

  it('flags a model that outputs probabilities', () => {
    const r = autoAttack({
      eps: 0.05,
      version: 'custom',
      attacks: ['apgd-ce'],
      overrides: { apgd: { nIter: 5 } },
    }).evaluate(probabilityModel(net.model), net.x, net.y, 0);
    expect(r.flags.map((f) => f.id)).toEqual(['probability-output']);
    r.xAdv.dispose();
  });

  it('flags a model whose forwards are random (dropout left on)', () => {
    const r = autoAttack({
      eps: 0.05,
      version: 'custom',
      attacks: ['apgd-ce'],
      overrides: { apgd: { nIter: 5 } },
    }).evaluate(noisyModel(net.model), net.x, net.y, 0);
    expect(r.flags.map((f) => f.id)).toContain('randomized');
    r.xAdv.dispose();
  });

  it('flags zero gradients, and Square succeeding where the white-box attacks failed', () => {
    const masked = zeroGradientModel(net.model);
    const r = autoAttack({ eps: 0.12, overrides: { ...FAST, square: { nQueries: 500 } } }).evaluate(
      masked,
      net.x,
      net.y,
      2,
    );
    const ids = r.flags.map((f) => f.id);
    expect(ids).toContain('zero-gradients');
    expect(ids).toContain('square-beats-white-box');
    const after = Object.fromEntries(r.robustAccuracyAfter.map((a) => [a.attack, a.robustAccuracy]));
    expect(after['apgd-ce']).toBe(r.cleanAccuracy);
    expect(after.square).toBeLessThan(after['fab-t']);
    r.xAdv.dispose();
  });

  it('raises no flag on an honest model (beyond the capped target count), is deterministic for a seed and does not leak tensors', () => {
    const aa = autoAttack({ eps: 0.12, overrides: FAST });
    const a = aa.evaluate(net.model, net.x, net.y, 9);
    expect(a.flags.map((f) => f.id)).toEqual(['too-few-classes']);
    expect(a.flags[0].message).toMatch(/only 3 exist \(capped\)/);
    const before = tf.memory().numTensors;
    const b = aa.evaluate(net.model, net.x, net.y, 9);
    expect(Array.from(b.xAdv.dataSync())).toEqual(Array.from(a.xAdv.dataSync()));
    expect(b.robustFlags).toEqual(a.robustFlags);
    b.xAdv.dispose();
    expect(tf.memory().numTensors).toBe(before);
    a.xAdv.dispose();
  });
});
