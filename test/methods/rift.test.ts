/**
 * RiFT on its mechanism: MRC is >= 0, its worst loss is realised by a perturbation inside the radius and
 * the model comes back bit for bit; interpolation is exact at the endpoints; alpha follows the stated
 * rule; fine-tuning moves only the least critical module; determinism, no leaks, divergence.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchIndices, toBatch } from '../../datasets/batches.ts';
import { pgd } from '../../attacks/pgd.ts';
import { initBackend, shutdownBackend } from '../../harness/foundation/tensor/backend.ts';
import { interpolateState, selectAlpha } from '../../methods/rift/interpolate.ts';
import {
  criticalityCandidates,
  moduleRobustCriticality,
  setLoss,
  type AdversarialSet,
} from '../../methods/rift/mrc.ts';
import { flipCrop } from '../../methods/rift/augment.ts';
import { Rng } from '../../harness/foundation/rng.ts';
import { changedKeys, EPS, makeContext, makeFixture, snapshot, type Fixture } from './context.ts';

let fx: Fixture;
let set: AdversarialSet;
beforeAll(async () => {
  await initBackend();
  fx = await makeFixture({ trainSize: 96 });
  const attack = pgd({ eps: EPS, alpha: EPS / 4, steps: 3 });
  const batches = [];
  for (const idx of batchIndices(32, { batchSize: 16 })) {
    const { x, y } = toBatch(fx.train, idx);
    batches.push({ x: attack.run((z) => fx.source.forward(z), x, y, 1).xAdv, y });
    x.dispose();
  }
  set = { batches, n: 32 };
});
afterAll(async () => {
  for (const b of set.batches) tf.dispose([b.x, b.y]);
  fx.source.dispose();
  await shutdownBackend();
});

const SMALL = {
  holdout: 16,
  mrcExamples: 24,
  mrcAttackSteps: 2,
  mrcEpochs: 2,
  selectAttackSteps: 2,
  atLr: 0.05,
  lr: 0.01,
};

describe('rift', () => {
  it('MRC >= 0, realised by a perturbation within the radius; the model is restored bit for bit; no leaks', () => {
    const before = snapshot(fx.source);
    const names = criticalityCandidates(fx.source);
    expect(names).toEqual([
      'conv1',
      'layer1.0.conv1',
      'layer1.0.conv2',
      'layer2.0.conv1',
      'layer2.0.conv2',
      'layer2.0.shortcut.0',
      'layer3.0.conv1',
      'layer3.0.conv2',
      'layer3.0.shortcut.0',
      'linear',
    ]);
    const opts = { epochs: 3, lr: 1, radius: 0.1 };
    moduleRobustCriticality(fx.source, 'linear', set, opts);
    const tensors = tf.memory().numTensors;
    let positive = 0;
    for (const name of ['conv1', 'layer2.0.conv2', 'linear']) {
      const r = moduleRobustCriticality(fx.source, name, set, opts, { keepWorst: true });
      expect(r.mrc).toBeGreaterThanOrEqual(0);
      if (r.mrc > 0) positive++;
      const deltaNorm = tf.tidy(() => tf.norm(r.worstDelta!).dataSync()[0]);
      expect(deltaNorm).toBeLessThanOrEqual(r.radius * (1 + 1e-5));
      expect(deltaNorm).toBeCloseTo(r.worstDeltaNorm, 5);
      // Apply the worst perturbation: the loss is the reported worst loss.
      const w = fx.source.namedParameters().find(([n]) => n === `${name}.weight`)![1];
      const w0 = w.clone();
      tf.tidy(() => w.assign(tf.add(w0, r.worstDelta!)));
      expect(setLoss(fx.source, set)).toBeCloseTo(r.worstLoss, 4);
      expect(r.worstLoss - r.baseLoss).toBeCloseTo(r.mrc, 6);
      w.assign(w0);
      tf.dispose([w0, r.worstDelta!]);
    }
    expect(positive).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(changedKeys(before, snapshot(fx.source))).toEqual([]);
    expect(fx.source.training).toBe(false);
  });

  it('interpolation is bit-exact at alpha 0 and 1, linear between', () => {
    const at = fx.source.stateDict();
    const ft: Record<string, tf.Tensor> = Object.fromEntries(
      Object.entries(at).map(([k, v]) => [
        k,
        v.dtype === 'float32' ? tf.add(v, tf.randomNormal(v.shape, 0, 1, 'float32', 9)) : v.clone(),
      ]),
    );
    const flat = (s: Record<string, tf.Tensor>) =>
      new Map(Object.entries(s).map(([k, v]) => [k, Array.from(v.dataSync())]));
    const [s0, s1, sh] = [0, 1, 0.3].map((a) => interpolateState(at, ft, a));
    expect(changedKeys(flat(at), flat(s0))).toEqual([]);
    expect(changedKeys(flat(ft), flat(s1))).toEqual([]);
    const k = 'layer1.0.conv1.weight';
    const expected = tf.tidy(() => tf.add(tf.mul(ft[k], 0.3), tf.mul(at[k], 0.7)));
    expect(Array.from(sh[k].dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([at, ft, s0, s1, sh, expected]);
  });

  it('alpha rule: best clean accuracy among alphas within the tolerance of alpha 0, ties to the smaller', () => {
    const pts = [
      { alpha: 0, clean: 0.7, robust: 0.5 },
      { alpha: 0.1, clean: 0.75, robust: 0.5 },
      { alpha: 0.2, clean: 0.8, robust: 0.495 },
      { alpha: 0.3, clean: 0.8, robust: 0.49 },
      { alpha: 0.4, clean: 0.9, robust: 0.3 },
    ];
    expect(selectAlpha(pts, 0.01).alpha).toBe(0.2);
    expect(selectAlpha(pts, 0).alpha).toBe(0.1);
    expect(selectAlpha(pts, 1).alpha).toBe(0.4);
    expect(() => selectAlpha(pts.slice(1), 0)).toThrow('alpha 0');
  });

  it('flip + crop keeps the shape and is seeded', () => {
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 5) as tf.Tensor4D;
    const [a, b] = [flipCrop(x, new Rng(1)), flipCrop(x, new Rng(1))];
    expect(a.shape).toEqual(x.shape);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([x, a, b]);
  });

  it('fine-tunes only the least critical module, interpolates with the recorded alpha, deterministically and without leaks', async () => {
    const run = async (seed: number) => {
      const artifacts: Record<string, unknown> = {};
      const stages: Record<string, Map<string, number[]>> = {};
      const { entry, ctx } = await makeContext(fx, 'rift', {
        config: SMALL,
        seed,
        artifacts,
        onCurve: (_e, values) => {
          stages['at loss' in values ? 'at' : 'ft'] = snapshot(ctx.model);
        },
      });
      const model = await entry.fineTune(ctx as never);
      return {
        model,
        stages,
        rift: artifacts.rift as {
          criticality: Record<string, number>;
          module: string;
          alpha: number;
          alphas: { alpha: number }[];
          rule: string;
        },
      };
    };
    const first = await run(2);
    const { rift, stages } = first;
    expect(Object.keys(rift.criticality)).toHaveLength(10);
    const min = Math.min(...Object.values(rift.criticality));
    expect(rift.criticality[rift.module]).toBe(min);
    expect(rift.alphas.map((p) => p.alpha)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(rift.rule).toMatch(/minus 0\.01/);
    // Between theta_AT and theta_ft only the chosen module's parameters moved (BN buffers run in train mode).
    const params = new Set(first.model.namedParameters().map(([n]) => n));
    const moved = changedKeys(stages.at, stages.ft).filter((k) => params.has(k));
    expect(moved.length).toBeGreaterThan(0);
    for (const k of moved) expect(k.startsWith(`${rift.module}.`), k).toBe(true);
    // The returned weights are theta(alpha).
    const out = snapshot(first.model);
    const k = `${rift.module}.weight`;
    const want = stages.ft.get(k)!.map((f, i) => rift.alpha * f + (1 - rift.alpha) * stages.at.get(k)![i]);
    out.get(k)!.forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    first.model.dispose();

    const tensors = tf.memory().numTensors;
    const again = await run(2);
    const second = snapshot(again.model);
    again.model.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(changedKeys(out, second)).toEqual([]);
  });

  it('a NaN loss fails with where it diverged', async () => {
    const { entry, ctx } = await makeContext(fx, 'rift', { config: { ...SMALL, atLr: 1e30 } });
    await expect(entry.fineTune(ctx as never)).rejects.toThrow(/^diverged at epoch 1, step \d+/);
    ctx.model.dispose();
  });
});
