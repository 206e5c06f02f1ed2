/**
 * Shared fixture for the method-entry tests: a small ResNet "source" on the synthetic dataset and a
 * FineTuneContext with the protocol's training attack, so entries run their real code in about a second.
 */
import type { DataSplit } from '../../datasets/types.ts';
import type { Classifier } from '../../harness/foundation/models/classifier.ts';
import { buildModel } from '../../harness/foundation/models/zoo.ts';
import { Rng } from '../../harness/foundation/rng.ts';
import { withFreshHead } from '../../harness/orchestration/run/run-cell.ts';
import { NO_TRAIN_STATE } from '../../harness/orchestration/train/train-state.ts';
import { trainingAttack } from '../../harness/orchestration/train/training-attack.ts';
import type { SourceRecipe } from '../../harness/protocol/schema.ts';
import type { FineTuneContext, MethodEntry } from '../../methods/define.ts';
import { methods } from '../../methods/registry.ts';
import { syntheticDataset } from '../../datasets/synthetic.ts';

export const EPS = 8 / 255;

export interface Fixture {
  train: DataSplit;
  test: DataSplit;
  source: Classifier;
}

export async function makeFixture({ trainSize = 64, testSize = 32, seed = 3 } = {}): Promise<Fixture> {
  const ds = syntheticDataset({ trainSize, testSize });
  const source = buildModel(
    { arch: 'small-resnet', numClasses: 4, inputShape: ds.inputShape, mean: ds.mean, std: ds.std },
    seed,
  ).eval();
  source.setTrainable(() => true, false);
  return { train: await ds.load('train'), test: await ds.load('test'), source };
}

export interface ContextOptions {
  config?: Record<string, unknown>;
  seed?: number;
  epochs?: number;
  batchSize?: number;
  train?: DataSplit;
  sourceRecipe?: SourceRecipe;
  /** Called by ctx.adversarial before it attacks (to observe the model's state at that moment). */
  onAdversarial?: (model: Classifier) => void;
  onCurve?: (epoch: number, values: Record<string, number>) => void;
  artifacts?: Record<string, unknown>;
}

export async function makeContext(
  fx: Fixture,
  id: string,
  o: ContextOptions = {},
): Promise<{ entry: MethodEntry; ctx: FineTuneContext<unknown> }> {
  const entry = (await methods.get(id)) as MethodEntry;
  const rng = new Rng(o.seed ?? 0);
  const attack = trainingAttack({ norm: 'Linf', eps: EPS, stepSize: EPS / 2, steps: 2, randomStart: true });
  const attackRng = rng.fork('train-attack');
  const ctx: FineTuneContext<unknown> = {
    model: withFreshHead(fx.source, 4, rng.fork('head').nextSeed()),
    source: fx.source,
    buildModel,
    train: o.train ?? fx.train,
    numClasses: 4,
    budget: { epochs: o.epochs ?? 1, batchSize: o.batchSize ?? 32 },
    threat: { norm: 'Linf', eps: EPS },
    trainAttack: { steps: 2, stepSize: EPS / 2, eps: EPS, norm: 'Linf' },
    sourceRecipe: o.sourceRecipe,
    config: entry.config.parse(o.config ?? {}),
    rng: rng.fork('method'),
    log: () => {},
    recordCurve: (epoch, values) => o.onCurve?.(epoch, values),
    recordArtifact: (name, value) => {
      if (o.artifacts) o.artifacts[name] = value;
    },
    adversarial: (m, x, y) => {
      o.onAdversarial?.(m);
      return attack(m, x, y, attackRng.nextSeed());
    },
    ...NO_TRAIN_STATE,
  };
  return { entry, ctx };
}

/** Every parameter and buffer as plain numbers, by tree name. */
export function snapshot(m: {
  namedParameters(): [string, { dataSync(): ArrayLike<number> }][];
  namedBuffers(): [string, { dataSync(): ArrayLike<number> }][];
}): Map<string, number[]> {
  return new Map([...m.namedParameters(), ...m.namedBuffers()].map(([n, v]) => [n, Array.from(v.dataSync())]));
}

/** Names whose values differ between two snapshots (bitwise, NaN-aware via Object.is). */
export function changedKeys(a: Map<string, number[]>, b: Map<string, number[]>): string[] {
  return [...a.keys()].filter((k) => {
    const x = a.get(k)!;
    const y = b.get(k);
    return !y || x.length !== y.length || x.some((v, i) => !Object.is(v, y[i]));
  });
}
