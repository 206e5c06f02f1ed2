/**
 * The baseline entries do what they claim, checked on the mechanism rather than on accuracy:
 * what stays frozen is bit-identical, LwF's penalty is zero at the source weights, TRADES' adversary
 * stays in the threat model.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticDataset } from '../../datasets/synthetic.ts';
import type { DataSplit } from '../../datasets/types.ts';
import { checkPerturbation, emptyStats } from '../../harness/orchestration/evaluate/perturbation-check.ts';
import type { Classifier } from '../../harness/foundation/models/classifier.ts';
import { buildModel } from '../../harness/foundation/models/zoo.ts';
import { Rng } from '../../harness/foundation/rng.ts';
import { withFreshHead } from '../../harness/orchestration/run/run-cell.ts';
import { initBackend, shutdownBackend } from '../../harness/foundation/tensor/backend.ts';
import { NO_TRAIN_STATE } from '../../harness/orchestration/train/train-state.ts';
import { trainingAttack } from '../../harness/orchestration/train/training-attack.ts';
import type { FineTuneContext, MethodEntry } from '../../methods/define.ts';
import { methods } from '../../methods/registry.ts';
import { featureDistance } from '../../methods/lwf.ts';
import { tradesAdversary } from '../../methods/trades.ts';

const EPS = 8 / 255;
let train: DataSplit;
let source: Classifier;

beforeAll(async () => {
  await initBackend();
  const ds = syntheticDataset({ trainSize: 64, testSize: 16 });
  train = await ds.load('train');
  source = buildModel(
    { arch: 'small-resnet', numClasses: 4, inputShape: ds.inputShape, mean: ds.mean, std: ds.std },
    3,
  ).eval();
});

afterAll(async () => {
  source.dispose();
  await shutdownBackend();
});

function snapshot(m: Classifier): Map<string, number[]> {
  return new Map([...m.namedParameters(), ...m.namedBuffers()].map(([n, v]) => [n, Array.from(v.dataSync())]));
}

async function fineTune(
  id: string,
  config: Record<string, unknown> = {},
): Promise<{ before: Map<string, number[]>; after: Map<string, number[]>; model: Classifier }> {
  const entry = (await methods.get(id)) as MethodEntry;
  const model = withFreshHead(source, 4, 11);
  const before = snapshot(model);
  const attack = trainingAttack({ norm: 'Linf', eps: EPS, stepSize: EPS / 2, steps: 2, randomStart: true });
  const rng = new Rng(0);
  const ctx: FineTuneContext<unknown> = {
    model,
    source,
    buildModel,
    train,
    numClasses: 4,
    budget: { epochs: 1, batchSize: 32 },
    threat: { norm: 'Linf', eps: EPS },
    trainAttack: { steps: 2, stepSize: EPS / 2, eps: EPS, norm: 'Linf' },
    config: entry.config.parse({ lr: 0.05, ...config }),
    rng,
    log: () => {},
    recordCurve: () => {},
    recordArtifact: () => {},
    adversarial: (m, x, y) => attack(m, x, y, rng.nextSeed()),
    ...NO_TRAIN_STATE,
  };
  const out = await entry.fineTune(ctx as never);
  return { before, after: snapshot(out), model: out };
}

const changed = (a: Map<string, number[]>, b: Map<string, number[]>) =>
  [...a.keys()].filter((k) => a.get(k)!.some((v, i) => v !== b.get(k)![i]));

describe('baseline method entries', () => {
  it('linear-probe changes only the head; backbone weights and BN statistics are bit-identical', async () => {
    const { before, after, model } = await fineTune('linear-probe');
    expect(changed(before, after).sort()).toEqual(['linear.bias', 'linear.weight']);
    model.dispose();
  });

  it('partial (k = 2) changes only the last residual block and the head', async () => {
    const { before, after, model } = await fineTune('partial', { k: 2 });
    const moved = changed(before, after);
    expect(moved.length).toBeGreaterThan(2);
    for (const name of moved) expect(name.startsWith('layer3.0.') || name.startsWith('linear.')).toBe(true);
    expect(moved).toContain('layer3.0.bn1.running_mean');
    model.dispose();
  });

  it('rejects a k larger than the network', async () => {
    await expect(fineTune('partial', { k: 99 })).rejects.toThrow(
      /small-resnet has 5 blocks \(head included\); k must be 1\.\.5, got 99/,
    );
  });

  it("LwF's feature penalty is zero at the source weights and its gradient is finite there", () => {
    const model = withFreshHead(source, 4, 5).eval();
    const x = tf.randomUniform([8, 8, 8, 1], 0, 1, 'float32', 1) as tf.Tensor4D;
    const d = tf.tidy(() => featureDistance(model.features(x), source.features(x)).dataSync()[0]);
    expect(d).toBeLessThan(1e-5);
    const [name, w] = model.namedParameters()[0];
    const { grads } = tf.variableGrads(
      () =>
        featureDistance(
          model.features(x),
          tf.tidy(() => source.features(x)),
        ),
      [w],
    );
    expect(Array.from(grads[w.name].dataSync()).every(Number.isFinite), name).toBe(true);
    tf.dispose([x, grads[w.name]]);
    model.dispose();
  });

  it('lwf and trades train every layer; TRADES adversaries stay within eps and [0,1]', async () => {
    for (const id of ['lwf', 'trades']) {
      const { before, after, model } = await fineTune(id);
      expect(changed(before, after)).toContain('conv1.weight');
      model.dispose();
    }
    const x = tf.randomUniform([8, 8, 8, 1], 0, 1, 'float32', 2) as tf.Tensor4D;
    const xAdv = tradesAdversary(source, x, { steps: 5, stepSize: EPS / 2, eps: EPS, norm: 'Linf' }, 3);
    const s = checkPerturbation(x, xAdv, { norm: 'Linf', eps: EPS }, emptyStats());
    expect(s.overEpsCount + s.outOfBoxCount + s.nanCount).toBe(0);
    expect(s.maxPerturbation).toBeGreaterThan(EPS / 2);
    tf.dispose([x, xAdv]);
  });
});
