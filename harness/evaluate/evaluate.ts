/**
 * @module The fixed evaluation: every method's model is scored by this function only (RobustBench's
 * `benchmark`). Clean accuracy and PGD robust accuracy on the first n test points, in eval mode, with
 * every adversarial example checked by the harness and 95% Wilson intervals on each number; AutoAttack
 * on the first `evaluation.autoattack.n` points when the tier asks for it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { pgd } from '../../attacks/pgd.ts';
import type { LogitsFn } from '../../attacks/types.ts';
import { batchIndices, toBatch } from '../../datasets/batches.ts';
import type { DataSplit, LoadOptions } from '../../datasets/types.ts';
import type { Classifier } from '../models/classifier.ts';
import type { Threat, Tier } from '../protocol/schema.ts';
import { checkPerturbation, emptyStats, perturbationFlags } from './perturbation-check.ts';
import { evaluateAutoAttack } from './autoattack-metric.ts';
import { evaluateCorruptions } from './corruption-metric.ts';
import { accuracyMetric, type MetricValue } from './metric.ts';

export { accuracyMetric, type MetricValue } from './metric.ts';

export interface EvaluateOptions {
  readonly threat: Threat;
  readonly evaluation: Tier['evaluation'];
  readonly seed: number;
  readonly onBatch?: (done: number, total: number) => void;
  readonly log?: (line: string) => void;
  /** The task's -C set, evaluated when the tier asks for corruption accuracy. */
  readonly corruptions?: { readonly dataset: string; readonly load?: LoadOptions };
}

/** Predicted classes of a batch; the logits never leave the tidy. */
function predict(model: LogitsFn, x: tf.Tensor4D): Int32Array {
  const pred = tf.tidy(() => tf.argMax(model(x), 1));
  const out = pred.dataSync() as Int32Array;
  pred.dispose();
  return out;
}

export async function evaluateRobustness(model: Classifier, test: DataSplit, opts: EvaluateOptions): Promise<MetricValue[]> {
  const { threat, evaluation, seed } = opts;
  const n = Math.min(evaluation.n, test.n);
  const wasTraining = model.training;
  model.eval();
  const logits: LogitsFn = (x) => model.forward(x);
  const attack = pgd({
    norm: threat.norm,
    eps: threat.eps,
    alpha: evaluation.pgd.stepSizeOverEps * threat.eps,
    steps: evaluation.pgd.steps,
    restarts: evaluation.pgd.restarts,
    randomStart: true,
  });
  let clean = 0;
  let robust = 0;
  // Per-point PGD outcome, so AutoAttack can be compared with PGD on exactly the same points.
  const pgdRobust = new Uint8Array(n);
  let done = 0;
  let batchNo = 0;
  const stats = emptyStats();
  const extra: MetricValue[] = [];
  try {
    for (const idx of batchIndices(n, { batchSize: evaluation.batchSize })) {
      const { x, y } = toBatch(test, idx);
      const labels = y.dataSync();
      const cleanPred = predict(logits, x);
      // Seed per batch from the cell seed, so a batch's attack does not depend on the others.
      const { xAdv } = attack.run(logits, x, y, seed * 7919 + batchNo);
      checkPerturbation(x, xAdv, threat, stats);
      const advPred = predict(logits, xAdv);
      for (let i = 0; i < labels.length; i++) {
        if (cleanPred[i] === labels[i]) {
          clean++;
          // Robust = correct on the clean point AND on its adversarial example (RobustBench's count).
          if (advPred[i] === labels[i]) {
            robust++;
            pgdRobust[idx[i]] = 1;
          }
        }
      }
      tf.dispose([x, y, xAdv]);
      done += idx.length;
      batchNo++;
      opts.onBatch?.(done, n);
      await new Promise((r) => setImmediate(r));
    }
    if (evaluation.autoattack) {
      const aa = await evaluateAutoAttack(logits, test, { threat, config: evaluation.autoattack, seed: seed * 7919 + 104729, log: opts.log, pgdRobust });
      extra.push(aa.metric, ...aa.components);
    }
    if (evaluation.corruptions && opts.corruptions) {
      const c = evaluation.corruptions;
      extra.push(...(await evaluateCorruptions(logits, { dataset: opts.corruptions.dataset, n: c.n, batchSize: c.batchSize, only: c.only, load: opts.corruptions.load, log: opts.log })));
    }
  } finally {
    model.train(wasTraining);
  }
  const flags = perturbationFlags(stats);
  return [
    accuracyMetric('clean', clean, n),
    accuracyMetric('pgd', robust, n, {
      attack: attack.id,
      norm: threat.norm,
      eps: threat.eps,
      steps: evaluation.pgd.steps,
      stepSize: evaluation.pgd.stepSizeOverEps * threat.eps,
      restarts: evaluation.pgd.restarts,
      maxPerturbation: stats.maxPerturbation,
      nanCount: stats.nanCount,
      outOfBoxCount: stats.outOfBoxCount,
      flags,
    }),
    ...extra,
  ];
}
