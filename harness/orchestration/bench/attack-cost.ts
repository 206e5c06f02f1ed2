/**
 * @module The cost of one attack iteration relative to one plain forward+backward (input gradient of the
 * cross-entropy) on the same batch and model: AutoAttack's APGD should be close to 1, since each of its
 * iterations is one gradient plus bookkeeping. Timed over whole runs divided by their iterations, and
 * counted: the model's forward and backward passes (in images, so a pass on half the batch counts half).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import { apgd, apgdT } from '../../../attacks/apgd.ts';
import { pgd } from '../../../attacks/pgd.ts';
import type { Attack, LogitsFn } from '../../../attacks/types.ts';
import { buildModel } from '../../foundation/models/zoo.ts';
import { crossEntropy } from '../../foundation/nn/losses.ts';
import type { ModelCase } from './model-steps.ts';

export interface AttackCostRow {
  model: string;
  batch: number;
  task: string;
  msPerIteration: number;
  /** ms per iteration / ms of one forward+backward. */
  relativeToGradient: number;
  /** Model passes per iteration over the whole batch (countPasses), initial and final evaluations included. */
  forwardPerIteration: number;
  backwardPerIteration: number;
}

/** Images the model was run on, forward and backward (a backward pass on k images counts k). */
export interface PassCount {
  forward: number;
  backward: number;
}

/**
 * The model wrapped so each forward and each backward pass through it is counted, in images. Logits and
 * gradients are passed through unchanged, so an attack run on it returns what it returns on `model`.
 */
export function countPasses(model: LogitsFn): { model: LogitsFn; count: PassCount } {
  const count: PassCount = { forward: 0, backward: 0 };
  const tap = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => {
      count.backward += dy.shape[0];
      return tf.clone(dy);
    },
  }));
  const counted: LogitsFn = (x) => {
    count.forward += x.shape[0];
    return tap(model(x)) as tf.Tensor2D;
  };
  return { model: counted, count };
}

/** Passes per iteration of one run of `attack` (`iterations` of them) on a batch of `x.shape[0]` points. */
export function passesPerIteration(
  attack: Attack,
  model: LogitsFn,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  iterations: number,
): PassCount {
  const { model: counted, count } = countPasses(model);
  tf.dispose(attack.run(counted, x, y, 1).xAdv);
  const per = x.shape[0] * iterations;
  return { forward: count.forward / per, backward: count.backward / per };
}

const ITERATIONS = 10;

export async function benchAttackCost(
  c: ModelCase,
  { batch, time }: { batch: number; time: number },
): Promise<AttackCostRow[]> {
  const model = buildModel(c.spec, 1).eval();
  const [h, w, ch] = c.spec.inputShape;
  const x = tf.randomUniform([batch, h, w, ch], 0, 1, 'float32', 7) as tf.Tensor4D;
  const logits: LogitsFn = (z) => model.forward(z);
  // Labels = the model's own predictions: APGD (like the reference) only attacks correctly classified points.
  const y = tf.tidy(() => tf.cast(tf.argMax(logits(x), 1), 'int32')) as tf.Tensor1D;
  const attacks: [string, Attack][] = [
    [
      `PGD (${ITERATIONS} steps)`,
      pgd({ eps: 8 / 255, alpha: 2 / 255, steps: ITERATIONS, restarts: 1, randomStart: true, norm: 'Linf' }),
    ],
    [`APGD-CE (${ITERATIONS} iterations)`, apgd({ nIter: ITERATIONS })],
    [`APGD-T (${ITERATIONS} iterations, 1 target)`, apgdT({ nIter: ITERATIONS, nTargetClasses: 1 })],
  ];
  const bench = new Bench({
    name: `attack cost ${c.name}`,
    time,
    warmup: true,
    warmupIterations: 1,
    warmupTime: 0,
    iterations: 2,
    throws: true,
  });
  bench.add('forward+backward', () => {
    tf.tidy(() =>
      tf
        .grad((z: tf.Tensor) => tf.sum(crossEntropy(logits(z as tf.Tensor4D), y, 'none')))(x)
        .dataSync(),
    );
  });
  for (const [name, attack] of attacks) bench.add(name, () => tf.dispose(attack.run(logits, x, y, 1).xAdv));
  await bench.run();
  const mean = (name: string) => {
    const r = bench.tasks.find((t) => t.name === name)!.result;
    return r.state === 'completed' ? r.latency.mean : NaN;
  };
  const base = mean('forward+backward');
  const rows: AttackCostRow[] = [
    {
      model: c.name,
      batch,
      task: 'forward+backward',
      msPerIteration: base,
      relativeToGradient: 1,
      forwardPerIteration: 1,
      backwardPerIteration: 1,
    },
  ];
  for (const [name, attack] of attacks) {
    const per = mean(name) / ITERATIONS;
    const passes = passesPerIteration(attack, logits, x, y, ITERATIONS);
    rows.push({
      model: c.name,
      batch,
      task: name,
      msPerIteration: per,
      relativeToGradient: per / base,
      forwardPerIteration: passes.forward,
      backwardPerIteration: passes.backward,
    });
  }
  model.dispose();
  tf.dispose([x, y]);
  return rows;
}
