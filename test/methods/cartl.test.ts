/**
 * CARTL on its mechanism: the first L-k blocks are bit-identical, every Conv/Linear of the last k
 * blocks has spectral norm beta (checked by an independent SVD), beta and k follow the source's FDM
 * recipe, the BatchNorm options freeze what they say; determinism, no leaks, divergence.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceRecipeSchema, type SourceRecipe } from '../../harness/protocol/schema.ts';
import { initBackend, shutdownBackend } from '../../harness/foundation/tensor/backend.ts';
import { changedKeys, makeContext, makeFixture, snapshot, type Fixture } from './context.ts';
import { largestSingularValue } from './spectral.ts';

let fx: Fixture;
beforeAll(async () => {
  await initBackend();
  fx = await makeFixture();
});
afterAll(async () => {
  fx.source.dispose();
  await shutdownBackend();
});

const recipe = (fdm?: { k: number; lambda: number }): SourceRecipe =>
  SourceRecipeSchema.parse({
    dataset: 'synthetic[0-1]',
    arch: 'small-resnet',
    recipe: fdm ? 'at-fdm' : 'at',
    threat: { norm: 'Linf', eps: 8 / 255 },
    stepSize: 2 / 255,
    epochs: 1,
    lr: 0.1,
    ...(fdm ? { fdm } : {}),
  });

async function run(config: Record<string, unknown>, sourceRecipe?: SourceRecipe, seed = 0) {
  const artifacts: Record<string, unknown> = {};
  const { entry, ctx } = await makeContext(fx, 'cartl', {
    config: { lr: 0.05, ...config },
    sourceRecipe,
    artifacts,
    seed,
  });
  const model = await entry.fineTune(ctx as never);
  return {
    model,
    artifacts,
    cartl: artifacts.cartl as { k: number; beta: number; neftLayers: string[]; betaFrom: string },
  };
}

const sigma = (w: tf.Tensor) => {
  const out = w.shape[w.shape.length - 1];
  return largestSingularValue(w.dataSync(), w.size / out, out);
};

describe('cartl', () => {
  it('on an FDM source: k and beta = 0.4 from the recipe, frozen blocks bit-identical, NEFT layers at spectral norm beta', async () => {
    const src = snapshot(fx.source);
    const { model, cartl } = await run({}, recipe({ k: 2, lambda: 0.005 }));
    expect(cartl.k).toBe(2);
    expect(cartl.beta).toBe(0.4);
    expect(cartl.neftLayers.sort()).toEqual(['layer3.0.conv1', 'layer3.0.conv2', 'layer3.0.shortcut.0', 'linear']);
    const after = snapshot(model);
    expect([...after.keys()].sort()).toEqual([...src.keys()].sort());
    const moved = changedKeys(src, after);
    for (const name of moved) expect(name.startsWith('layer3.0.') || name.startsWith('linear.'), name).toBe(true);
    expect(moved).toContain('layer3.0.bn1.running_mean');
    for (const [name, v] of model.namedParameters()) {
      if (!/^(layer3\.0\.(conv1|conv2|shortcut\.0)|linear)\.weight$/.test(name)) continue;
      expect(Math.abs(sigma(v) - 0.4) / 0.4, name).toBeLessThan(0.01);
    }
    // The frozen part is not normalised.
    expect(
      Math.abs(sigma(model.namedParameters().find(([n]) => n === 'layer1.0.conv1.weight')![1]) - 0.4),
    ).toBeGreaterThan(0.05);
    model.dispose();
  });

  it('on a plain source: beta 0.6 by default, k required', async () => {
    await expect(run({}, recipe())).rejects.toThrow(
      'cartl: config.k is required when the source was not pre-trained with FDM',
    );
    const { model, cartl } = await run({ k: 1 }, recipe());
    expect(cartl.beta).toBe(0.6);
    expect(cartl.betaFrom).toBe('plain source default');
    expect(cartl.neftLayers).toEqual(['linear']);
    const w = model.namedParameters().find(([n]) => n === 'linear.weight')![1];
    expect(Math.abs(sigma(w) - 0.6) / 0.6).toBeLessThan(0.01);
    model.dispose();
  });

  it('freezeBnAffine and freezeBnStats keep the fine-tuned blocks’ BatchNorm as the source had it', async () => {
    const src = snapshot(fx.source);
    const { model } = await run({ k: 2, freezeBnAffine: true, freezeBnStats: true }, recipe());
    const moved = changedKeys(src, snapshot(model));
    expect(moved.filter((k) => /bn\d|shortcut\.1/.test(k))).toEqual([]);
    expect(moved).toContain('layer3.0.conv1.weight');
    model.dispose();
  });

  it('is deterministic for a seed and leaks no tensors; a NaN loss fails with where it diverged', async () => {
    const a = await run({ k: 2 }, recipe(), 5);
    const sa = snapshot(a.model);
    a.model.dispose();
    const before = tf.memory().numTensors;
    const b = await run({ k: 2 }, recipe(), 5);
    const sb = snapshot(b.model);
    b.model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(changedKeys(sa, sb)).toEqual([]);
    await expect(run({ k: 3, lr: 1e30, schedule: 'constant' }, recipe())).rejects.toThrow(
      /^diverged at epoch 1, step \d+/,
    );
  });
});
