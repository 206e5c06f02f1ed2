/**
 * @module One cell: load the cached source, give the method a copy with a fresh head, fine-tune,
 * then the fixed evaluation. Methods never evaluate themselves.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getDataset } from '../../datasets/registry.ts';
import type { MethodEntry } from '../../methods/define.ts';
import { evaluateRobustness, type MetricValue } from '../evaluate/evaluate.ts';
import type { Classifier } from '../models/classifier.ts';
import { buildModel } from '../models/zoo.ts';
import { ensureSource, loadSourceModel, type SourceHandle } from '../pretrain/sources.ts';
import type { Cell } from '../protocol/cells.ts';
import { Rng } from '../rng.ts';
import { trainingAttack } from '../train/training-attack.ts';
import type { Store } from '../../results/store.ts';
import type { Environment } from './provenance.ts';

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
      throw new Error(`fresh head: source and target models differ beyond the head (${[...unexpectedMissing, ...report.unexpected].join(', ')})`);
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
  const source: SourceHandle = await ensureSource(task.source, { store: ctx.store, environment: ctx.environment, dataDir: ctx.dataDir, log: ctx.log });
  const target = getDataset(task.target, { dataDir: ctx.dataDir });
  const [train, test] = [await target.load('train'), await target.load('test')];
  const rng = new Rng(seed);
  const sourceModel = loadSourceModel(source, 0);
  const curves: Record<string, number>[] = [];
  const artifacts: Record<string, unknown> = {};
  let model: Classifier | undefined = withFreshHead(sourceModel, target.classNames.length, rng.fork('head').nextSeed());
  let result: Classifier | undefined;
  const attack = trainingAttack({
    norm: task.threat.norm,
    eps: task.threat.eps,
    stepSize: tier.trainAttack.stepSizeOverEps * task.threat.eps,
    steps: tier.trainAttack.steps,
    randomStart: true,
  });
  const attackRng = rng.fork('train-attack');
  try {
    const started = performance.now();
    result = await entry.fineTune({
      model,
      source: sourceModel,
      sourceRecipe: source.metadata.recipe,
      buildModel,
      train,
      numClasses: target.classNames.length,
      budget: tier.budget,
      threat: task.threat,
      trainAttack: { ...tier.trainAttack, stepSize: tier.trainAttack.stepSizeOverEps * task.threat.eps, eps: task.threat.eps, norm: task.threat.norm },
      config: method.config,
      rng: rng.fork('method'),
      log: ctx.log,
      recordCurve: (epoch, values) => curves.push({ epoch, ...values }),
      recordArtifact: (name, value) => {
        artifacts[name] = value;
      },
      adversarial: (m, x, y) => attack(m, x, y, attackRng.nextSeed()),
    });
    const trainSeconds = (performance.now() - started) / 1000;
    const evalStarted = performance.now();
    const metrics = await evaluateRobustness(result, test, {
      threat: task.threat,
      evaluation: tier.evaluation,
      seed,
      onBatch: ctx.onEvalBatch,
      log: ctx.log,
      corruptions: task.corruptions ? { dataset: task.corruptions, load: { dataDir: ctx.dataDir } } : undefined,
    });
    return {
      metrics,
      artifacts: { curves, ...artifacts },
      provenance: {
        ...ctx.environment,
        datasetVersion: target.version,
        sourceId: source.id,
        sourceSha256: source.sha256,
        sourceMetrics: source.metadata.metrics.map((m) => ({ name: m.name, value: m.value, n: m.n })),
      },
      trainSeconds,
      evalSeconds: (performance.now() - evalStarted) / 1000,
    };
  } finally {
    if (result && result !== model) result.dispose();
    model?.dispose();
    model = undefined;
    sourceModel.dispose();
  }
}
