/**
 * TWINS on its mechanism: the frozen wing keeps the pre-training statistics while its affine trains,
 * the adaptive wing moves, lambda weights the frozen half, attacks see the adaptive wing, the result
 * has the source's layout again; odd batches, determinism, no leaks, divergence.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchNorm2d } from '../../harness/nn/batchnorm.ts';
import { initBackend, shutdownBackend } from '../../harness/tensor/backend.ts';
import { TwinBatchNorm } from '../../methods/twins/twin-batchnorm.ts';
import { halves } from '../../methods/twins/twins-fine-tune.ts';
import { changedKeys, makeContext, makeFixture, snapshot, type Fixture } from './context.ts';

let fx: Fixture;
beforeAll(async () => {
  await initBackend();
  fx = await makeFixture({ trainSize: 65 });
});
afterAll(async () => {
  fx.source.dispose();
  await shutdownBackend();
});

/** Fine-tunes with `id`, snapshotting the twinned model at the end of each epoch (the twins are still in place then). */
async function run(id: string, config: Record<string, unknown> = {}, extra: { seed?: number } = {}) {
  const during: Map<string, number[]>[] = [];
  const wingsAtAttack: string[][] = [];
  const { entry, ctx } = await makeContext(fx, id, {
    config,
    seed: extra.seed,
    onCurve: () => during.push(snapshot(ctx.model)),
    onAdversarial: (m) =>
      wingsAtAttack.push(
        m
          .namedModules()
          .filter(([, t]) => t instanceof TwinBatchNorm)
          .map(([, t]) => (t as TwinBatchNorm).wing),
      ),
  });
  const model = await entry.fineTune(ctx as never);
  return { model, during, wingsAtAttack };
}

const sourceState = () => snapshot(fx.source);

describe('TWINS', () => {
  it('splits odd batches without an empty adaptive half', () => {
    expect(halves(32)).toEqual([16, 16]);
    expect(halves(31)).toEqual([15, 16]);
    expect(halves(1)).toEqual([0, 1]);
  });

  it('the frozen wing normalises with the source statistics in train mode; the adaptive wing with batch statistics', () => {
    const bn = fx.source.child('bn1') as BatchNorm2d;
    const twin = new TwinBatchNorm(bn).train();
    const x = tf.randomNormal([4, 3, 3, bn.numFeatures], 0.3, 2, 'float32', 1);
    const [frozen, adaptive, reference] = tf.tidy(() => {
      twin.wing = 'frozen';
      const f = twin.forward(x);
      twin.wing = 'adaptive';
      return [f, twin.forward(x), bn.forward(x)];
    });
    expect(Array.from(frozen.dataSync())).toEqual(Array.from(reference.dataSync()));
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(adaptive, reference))).dataSync()[0])).toBeGreaterThan(1e-2);
    expect(Array.from(twin.frozen.runningMean.dataSync())).toEqual(Array.from(bn.runningMean.dataSync()));
    expect(Array.from(twin.adaptive.runningMean.dataSync())).not.toEqual(Array.from(bn.runningMean.dataSync()));
    tf.dispose([x, frozen, adaptive, reference]);
    twin.dispose();
  });

  it('twins-at: frozen statistics never move, frozen affine and adaptive statistics do; attacks see the adaptive wing', async () => {
    const src = sourceState();
    const { model, during, wingsAtAttack } = await run('twins-at', { lr: 0.05 });
    expect(during).toHaveLength(1);
    const mid = during[0];
    const bnNames = [...src.keys()].filter((k) => /bn\d\.running_mean$|shortcut\.1\.running_mean$/.test(k));
    expect(bnNames.length).toBeGreaterThan(4);
    for (const k of bnNames) {
      const prefix = k.slice(0, -'.running_mean'.length);
      for (const buf of ['running_mean', 'running_var']) {
        expect(mid.get(`${prefix}.frozen.${buf}`), `${prefix}.frozen.${buf}`).toEqual(src.get(`${prefix}.${buf}`));
        expect(mid.get(`${prefix}.adaptive.${buf}`), `${prefix}.adaptive.${buf}`).not.toEqual(
          src.get(`${prefix}.${buf}`),
        );
      }
      expect(mid.get(`${prefix}.frozen.weight`)).not.toEqual(src.get(`${prefix}.weight`));
    }
    // Every attack call (one per batch: 3 batches of 32, 32, 1) ran with all wings adaptive.
    expect(wingsAtAttack).toHaveLength(3);
    for (const w of wingsAtAttack) expect(new Set(w)).toEqual(new Set(['adaptive']));
    // The result is the source's layout with the adaptive wings as plain BatchNorms.
    const after = snapshot(model);
    expect([...after.keys()].sort()).toEqual([...src.keys()].sort());
    for (const k of bnNames)
      expect(after.get(k)).toEqual(mid.get(k.replace('.running_mean', '.adaptive.running_mean')));
    expect(model.namedModules().some(([, m]) => m instanceof TwinBatchNorm)).toBe(false);
    model.dispose();
  });

  it('lambda weights the frozen half: at lambda 0 the frozen affine gets no update', async () => {
    const src = sourceState();
    const { model, during } = await run('twins-at', { lr: 0.05, lambda: 0, weightDecay: 0 });
    const mid = during[0];
    const frozenAffine = [...mid.keys()].filter((k) => /\.frozen\.(weight|bias)$/.test(k));
    expect(frozenAffine.length).toBeGreaterThan(8);
    for (const k of frozenAffine) expect(mid.get(k), k).toEqual(src.get(k.replace('.frozen.', '.')));
    expect(mid.get('bn1.adaptive.weight')).not.toEqual(src.get('bn1.weight'));
    model.dispose();
  });

  it('twins-trades trains both wings and is deterministic for a seed, without leaking tensors', async () => {
    const first = await run('twins-trades', { lr: 0.05 }, { seed: 4 });
    const a = snapshot(first.model);
    first.model.dispose();
    const before = tf.memory().numTensors;
    const second = await run('twins-trades', { lr: 0.05 }, { seed: 4 });
    const b = snapshot(second.model);
    second.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(changedKeys(a, b)).toEqual([]);
    expect(changedKeys(sourceState(), a)).toContain('conv1.weight');
    expect(first.during[0].get('layer1.0.bn1.frozen.running_var')).toEqual(
      sourceState().get('layer1.0.bn1.running_var'),
    );
  });

  it('a NaN loss fails with where it diverged', async () => {
    await expect(run('twins-at', { lr: 1e30, schedule: 'constant' })).rejects.toThrow(/^diverged at epoch 1, step \d+/);
  });
});
