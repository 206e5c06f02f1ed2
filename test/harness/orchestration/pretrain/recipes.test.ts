/**
 * Source recipes: the schema keeps recipe parameters where they belong and in the cache key; the FDM
 * term is zero when x' = x, positive otherwise, and only trains the blocks in front of the boundary;
 * an at-fdm pre-training runs, records its boundary and leaves the model's forward as it was.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { fdmBoundary, fdmObjective, featureDistanceSum } from '../../../../harness/orchestration/pretrain/fdm.ts';
import { pretrainSource } from '../../../../harness/orchestration/pretrain/pretrain.ts';
import { overrideRecipe } from '../../../../harness/orchestration/pretrain/recipe-override.ts';
import { sourceId } from '../../../../harness/orchestration/pretrain/sources.ts';
import { SourceRecipeSchema } from '../../../../harness/protocol/schema.ts';
import { initBackend, shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';

beforeAll(async () => {
  await initBackend();
});
afterAll(async () => {
  await shutdownBackend();
});

const EPS = 8 / 255;
const base = {
  dataset: 'synthetic[0-1]',
  arch: 'small-resnet',
  recipe: 'at',
  threat: { norm: 'Linf', eps: EPS },
  steps: 2,
  stepSize: EPS / 2,
  epochs: 1,
  batchSize: 32,
  lr: 0.05,
  maxTrainExamples: 64,
} as const;

const spec = {
  arch: 'small-resnet',
  numClasses: 2,
  inputShape: [8, 8, 1] as [number, number, number],
  mean: [0.5],
  std: [0.25],
};

describe('source recipes', () => {
  it('validates recipe parameters by path and puts them in the cache key', () => {
    const issues = (input: unknown) => {
      const r = SourceRecipeSchema.safeParse(input);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ ...base, recipe: 'at-fdm' })).toEqual(["fdm: recipe 'at-fdm' needs fdm: { k, lambda }"]);
    expect(issues({ ...base, beta: 3 })).toEqual(["beta: only recipe 'trades' takes beta (recipe is 'at')"]);
    expect(issues({ ...base, recipe: 'at-fdm', fdm: { k: 2, lamda: 1 } })[0]).toMatch(
      /^fdm: Unrecognized key: "lamda"/,
    );
    expect(SourceRecipeSchema.parse({ ...base, recipe: 'trades' }).beta).toBe(6);
    // A plain recipe gains no new keys, so its hash (and the cached file) stays what it was.
    expect(Object.keys(SourceRecipeSchema.parse(base)).sort()).not.toContain('beta');
    const fdm = (lambda: number) =>
      sourceId(SourceRecipeSchema.parse({ ...base, recipe: 'at-fdm', fdm: { k: 2, lambda } }));
    expect(fdm(0.005)).not.toBe(fdm(0.01));
    expect(fdm(0.005)).not.toBe(sourceId(SourceRecipeSchema.parse(base)));
    expect(SourceRecipeSchema.parse({ ...base, recipe: 'at-fdm', fdm: { k: 2 } }).fdm).toEqual({ k: 2, lambda: 0.005 });
  });

  it('the pretrain --recipe override names the flag that is wrong', () => {
    const plain = SourceRecipeSchema.parse(base);
    expect(overrideRecipe(plain, { recipe: 'at-fdm', k: 2, lambda: 0.01 }).fdm).toEqual({ k: 2, lambda: 0.01 });
    expect(() => overrideRecipe(plain, { recipe: 'at-fdm' })).toThrow('--recipe at-fdm needs --k');
    expect(() => overrideRecipe(plain, { recipe: 'trades', k: 2 })).toThrow(
      '--k and --lambda belong to --recipe at-fdm',
    );
    expect(() => overrideRecipe(plain, { recipe: 'at-fdm', k: 2.5 })).toThrow(/--k: .*int/i);
    const trades = overrideRecipe(overrideRecipe(plain, { recipe: 'at-fdm', k: 2 }), { recipe: 'trades', beta: 3 });
    expect(trades.fdm).toBeUndefined();
    expect(trades.beta).toBe(3);
  });

  it('FDM: the boundary is the first module of block L-k+1; k must leave a frozen part', () => {
    const model = buildModel(spec, 1);
    expect(fdmBoundary(model, 1)).toEqual({ block: 4, module: 'linear' });
    expect(fdmBoundary(model, 2)).toEqual({ block: 3, module: 'layer3.0' });
    expect(() => fdmBoundary(model, 5)).toThrow(
      'fdm.k: small-resnet has 5 blocks (head included); k must be 1..4 so that a frozen part remains, got 5',
    );
    model.dispose();
  });

  it('FDM term: zero at x = x, lambda/sqrt(d) times the summed distances otherwise, gradient only in front of the boundary', () => {
    const a = tf.tensor2d([
      [3, 4, 0, 0],
      [0, 0, 0, 0],
    ]);
    const b = tf.zeros([2, 4]);
    expect(featureDistanceSum(a, b, 0.5).dataSync()[0]).toBeCloseTo((0.5 / 2) * 5, 5);
    expect(featureDistanceSum(a, a, 0.5).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([a, b]);

    const model = buildModel(spec, 2).train();
    const objective = fdmObjective(model, { k: 2, lambda: 0.005 });
    const x = tf.randomUniform([8, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor4D;
    const xAdv = tf.clipByValue(tf.add(x, tf.randomUniform(x.shape, -EPS, EPS, 'float32', 4)), 0, 1) as tf.Tensor4D;
    const y = tf.tensor1d([0, 1, 0, 1, 0, 1, 0, 1], 'int32');
    const same = tf.tidy(() => objective.loss(x, x, y).fdm.dataSync()[0]);
    expect(same).toBeLessThan(1e-5);
    const params = model.namedParameters();
    const { grads, value } = tf.variableGrads(
      () => objective.loss(x, xAdv, y).fdm,
      params.map(([, v]) => v),
    );
    expect(value.dataSync()[0]).toBeGreaterThan(1e-4);
    const gradNorm = (name: string) => {
      const v = params.find(([n]) => n === name)![1];
      const g = grads[v.name];
      return g ? tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]) : 0;
    };
    expect(gradNorm('conv1.weight')).toBeGreaterThan(0);
    expect(gradNorm('layer2.0.conv2.weight')).toBeGreaterThan(0);
    expect(gradNorm('layer3.0.conv1.weight')).toBe(0);
    expect(gradNorm('linear.weight')).toBe(0);
    tf.dispose([grads, value, x, xAdv, y]);
    objective.remove();
    expect(Object.hasOwn(model.child('layer3')!.child('0')!, 'forward')).toBe(false);
    model.dispose();
  });

  it('pre-trains an at-fdm and a trades source and records the recipe details', async () => {
    const fdm = await pretrainSource(
      SourceRecipeSchema.parse({ ...base, recipe: 'at-fdm', fdm: { k: 2, lambda: 0.01 } }),
    );
    expect(fdm.details).toEqual({ fdmBoundary: { block: 3, module: 'layer3.0' } });
    expect(Object.hasOwn(fdm.model.child('layer3')!.child('0')!, 'forward')).toBe(false);
    expect(fdm.metrics.map((m) => m.name)).toEqual(['clean', 'pgd']);
    fdm.model.dispose();
    const trades = await pretrainSource(SourceRecipeSchema.parse({ ...base, recipe: 'trades', beta: 2 }));
    expect(trades.details).toEqual({ beta: 2 });
    expect(Number.isFinite(trades.curve[0].loss)).toBe(true);
    trades.model.dispose();
  });
});
