/**
 * @module One cell: load the cached source, give the method a copy with a fresh head, fine-tune,
 * then the fixed evaluation. Methods never evaluate themselves.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getDataset } from '../../../datasets/registry.ts';
import type { MethodEntry } from '../../../methods/define.ts';
import { evaluateRobustness, type MetricValue } from '../evaluate/evaluate.ts';
import type { Classifier } from '../../foundation/models/classifier.ts';
import { buildModel } from '../../foundation/models/zoo.ts';
import { loadSourceModel, type SourceHandle } from '../pretrain/sources.ts';
import { ensureTaskSource, sourceProvenance } from '../pretrain/task-source.ts';
import { resolveTrainAttack } from '../../protocol/attack-specs.ts';
import type { Cell } from '../../protocol/cells.ts';
import { stateSha256 } from '../../foundation/checkpoint/state-sha256.ts';
import { TrainState, trainStateDir, type TrainStateOptions } from '../train/train-state.ts';
import { trainingAttack } from '../train/training-attack.ts';
import type { Store } from '../../../results/store.ts';
import { adaptTaskInputs } from './adapt-input.ts';
import type { Environment } from './provenance.ts';
import { peakRssBytes } from '../../foundation/util/peak-rss.ts';

export interface CellOutcome {
  metrics: MetricValue[];
  artifacts: Record<string, unknown>;
  provenance: Record<string, unknown>;
  trainSeconds: number;
  evalSeconds: number;
}

export interface CellContext {
  store: Store;
  environment: Environment;
  dataDir?: string;
  log: (message: string) => void;
  onEvalBatch?: (done: number, total: number) => void;
  /** Called with the evaluated model before it is disposed (the runner saves it: --keep-models). */
  keepModel?: (model: Classifier, outcome: CellOutcome) => void;
  /** Training checkpoints under `<data>/train-state/<cell id>/` (the runner removes them once the cell is recorded). */
  training?: TrainStateOptions;
}

/** A copy of the source with a freshly initialised head for `numClasses`. */
export function withFreshHead(source: Classifier, numClasses: number, seed: number): Classifier {
  const model = buildModel({ ...source.spec, numClasses }, seed);
  const headPrefix = `${model.headName}.`;
  const state = source.stateDict();
  try {
    const body = Object.fromEntries(Object.entries(state).filter(([k]) => !k.startsWith(headPrefix)));
    const report = model.loadStateDict(body, { strict: false });
    const unexpectedMissing = report.missing.filter((k: string) => !k.startsWith(headPrefix));
    if (unexpectedMissing.length || report.unexpected.length) {
      throw new Error(
        `fresh head: source and target models differ beyond the head (${[...unexpectedMissing, ...report.unexpected].join(', ')})`,
      );
    }
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    tf.dispose(state);
  }
  return model;
}

export async function runCell(cell: Cell, entry: MethodEntry, ctx: CellContext): Promise<CellOutcome> {
  const { task, tier, seed, method } = cell.spec;
  const source: SourceHandle = await ensureTaskSource(task.source, {
    store: ctx.store,
    environment: ctx.environment,
    dataDir: ctx.dataDir,
    log: ctx.log,
    training: ctx.training,
  });
  const target = getDataset(task.target, { dataDir: ctx.dataDir });
  const loaded = { train: await target.load('train'), test: await target.load('test') };
  // Resize, channel rule and augmentation are applied per batch (the cell's seed draws the augmentation).
  const { train, test } = adaptTaskInputs(task, source.metadata.spec.inputShape, loaded, seed);
  // A killed cell resumes from its last training checkpoint; every RNG stream is tracked for it.
  const trainState = TrainState.open(trainStateDir(cell.id, ctx.dataDir), { ...ctx.training, log: ctx.log });
  const rng = trainState.rngs.root(seed);
  const sourceModel = loadSourceModel(source, 0);
  const { curves, artifacts } = trainState;
  let model: Classifier | undefined = withFreshHead(sourceModel, target.classNames.length, rng.fork('head').nextSeed());
  let result: Classifier | undefined;
  const trainAttack = resolveTrainAttack(task.threat, tier.trainAttack);
  const attack = trainingAttack({
    norm: trainAttack.norm,
    eps: trainAttack.eps,
    stepSize: trainAttack.stepSize,
    steps: trainAttack.steps,
    randomStart: true,
  });
  const attackRng = rng.fork('train-attack');
  try {
    const started = performance.now();
    const fresh = model;
    const fineTune = () =>
      entry.fineTune({
        model: fresh,
        source: sourceModel,
        sourceRecipe: source.metadata.recipe,
        buildModel,
        train,
        numClasses: target.classNames.length,
        budget: tier.budget,
        threat: task.threat,
        trainAttack,
        config: method.config,
        rng: rng.fork('method'),
        log: ctx.log,
        recordCurve: (epoch, values) => curves.push({ epoch, ...values }),
        recordArtifact: (name, value) => {
          artifacts[name] = value;
        },
        adversarial: (m, x, y) => attack(m, x, y, attackRng.nextSeed()),
        stage: trainState.stage,
        persist: trainState.persist,
      });
    result = await trainState.run(fineTune);
    const trainSeconds = trainState.secondsBefore + (performance.now() - started) / 1000;
    const evalStarted = performance.now();
    const metrics = await evaluateRobustness(result, test, {
      threat: task.threat,
      evaluation: tier.evaluation,
      seed,
      onBatch: ctx.onEvalBatch,
      log: ctx.log,
      corruptions: task.corruptions ? { dataset: task.corruptions, load: { dataDir: ctx.dataDir } } : undefined,
    });
    const outcome: CellOutcome = {
      metrics,
      artifacts: { curves, ...artifacts },
      provenance: {
        ...ctx.environment,
        datasetVersion: target.version,
        // The trained weights, bit for bit: a resumed cell's equals an uninterrupted one's.
        weightsSha256: stateSha256(result),
        sourceId: source.id,
        sourceSha256: source.sha256,
        sourceMetrics: source.metadata.metrics.map((m) => ({ name: m.name, value: m.value, n: m.n })),
        ...sourceProvenance(source),
        // The process's high-water mark when the cell ended: its training and evaluation, or an earlier peak.
        peakRssBytes: peakRssBytes(),
      },
      trainSeconds,
      evalSeconds: (performance.now() - evalStarted) / 1000,
    };
    ctx.keepModel?.(result, outcome);
    return outcome;
  } finally {
    if (result && result !== model) result.dispose();
    model?.dispose();
    model = undefined;
    sourceModel.dispose();
  }
}
