/**
 * @module One evaluation worker: its own backend (wasm, `threads` threads), the model rebuilt from its
 * spec and weights, attacks made from recipes (cached); it scores the batches the pool hands it with the
 * same code as the evaluating thread (attackBatch, AutoAttack's component attacks), so results do not
 * depend on which worker ran a batch.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { stagedApgd } from '../../../../attacks/apgd.ts';
import { componentAttack } from '../../../../attacks/autoattack.ts';
import { createAttack } from '../../../../attacks/registry.ts';
import type { Attack, LogitsFn } from '../../../../attacks/types.ts';
import { logitsOf, predict } from '../../../../attacks/utils.ts';
import { toBatch } from '../../../../datasets/batches.ts';
import type { Classifier } from '../../../foundation/models/classifier.ts';
import { buildModel } from '../../../foundation/models/zoo.ts';
import { initBackend, shutdownBackend } from '../../../foundation/tensor/backend.ts';
import { attackBatch } from '../attack-accuracy.ts';
import { emptyStats } from '../perturbation-check.ts';
import type { AttackRecipe, FromWorker, TestHead, ToWorker } from './messages.ts';
import { collectGarbage } from '../../../foundation/util/collect-garbage.ts';

const port = parentPort;
if (!port) throw new Error('attack-worker.ts runs only as a worker thread (see attack-pool.ts)');

let state: { model: Classifier; logits: LogitsFn; test: TestHead; testDigest: string } | undefined;
const attacks = new Map<string, Attack>();

function attackOf(recipe: AttackRecipe): Attack {
  const key = JSON.stringify(recipe);
  let a = attacks.get(key);
  if (!a) {
    a =
      recipe.kind === 'registry'
        ? createAttack(recipe.id, recipe.options)
        : componentAttack(recipe.name, recipe.version, recipe.norm, recipe.eps, recipe.overrides);
    attacks.set(key, a);
  }
  return a;
}

function loaded(): NonNullable<typeof state> {
  if (!state) throw new Error('a batch came before init');
  return state;
}

/** Answers one message; a worker serves many evaluations (the backend starts once, the model per init). */
async function handle(m: ToWorker): Promise<FromWorker> {
  switch (m.type) {
    case 'init': {
      const info = await initBackend({ threads: m.threads });
      await tf.setBackend(info.name === 'tensorflow-gpu' ? 'tensorflow' : info.name);
      const test = m.test ?? (state?.testDigest === m.testDigest ? state.test : undefined);
      if (!test) throw new Error(`init without test points, and this worker does not hold ${m.testDigest}`);
      state?.model.dispose();
      state = undefined;
      // A new evaluation: the last one's garbage goes now, not cells later (util/collect-garbage.ts).
      collectGarbage();
      const model = buildModel(m.spec, 0);
      const weights = Object.fromEntries(m.weights.map((w) => [w.name, tf.tensor(w.data, w.shape, w.dtype)]));
      try {
        model.loadStateDict(weights, { strict: true });
      } finally {
        tf.dispose(Object.values(weights));
      }
      model.eval();
      state = { model, logits: (x) => model.forward(x), test, testDigest: m.testDigest };
      return { type: 'ready', backend: `${info.name} x${info.threads}` };
    }
    case 'score': {
      const s = loaded();
      const idx = Int32Array.from({ length: m.end - m.start }, (_, i) => m.start + i);
      const stats = emptyStats();
      const b = attackBatch(
        s.logits,
        s.test,
        idx,
        m.batchNo,
        { attack: attackOf(m.attack), threat: m.threat, seed: m.seed },
        stats,
      );
      return { type: 'scored', ...b, stats };
    }
    case 'attack-points': {
      const s = loaded();
      const { x, y } = toBatch(s.test, m.points);
      const result = attackOf(m.attack).run(s.logits, x, y, m.seed);
      try {
        return {
          type: 'attacked',
          pred: predict(s.logits, result.xAdv),
          xAdv: result.xAdv.dataSync() as Float32Array,
          notes: result.notes,
        };
      } finally {
        tf.dispose([x, y, result.xAdv]);
      }
    }
    case 'clean-rows': {
      const s = loaded();
      const { x, y } = toBatch(s.test, m.points);
      try {
        const { values, k } = logitsOf(s.logits, x);
        return { type: 'clean-rows', values, k, x: Float32Array.from(x.dataSync()), y: Int32Array.from(y.dataSync()) };
      } finally {
        tf.dispose([x, y]);
      }
    }
    case 'apgd-shard': {
      const s = loaded();
      const staged = stagedApgd(attackOf(m.attack));
      if (!staged) throw new Error(`attack ${JSON.stringify(m.attack)} has no stages to run in shards`);
      const { x, y } = toBatch(s.test, m.points);
      try {
        return { type: 'shard-done', ...staged.runShard(s.logits, x, y, m.stage, m.take) };
      } finally {
        tf.dispose([x, y]);
      }
    }
    case 'close':
      state?.model.dispose();
      state = undefined;
      await shutdownBackend();
      return { type: 'closed' };
  }
}

port.on('message', async (m: ToWorker) => {
  let answer: FromWorker;
  try {
    answer = await handle(m);
  } catch (err) {
    answer = { type: 'error', message: (err as Error).stack ?? String(err) };
  }
  port.postMessage(answer, answer.type === 'attacked' ? [answer.xAdv.buffer as ArrayBuffer] : []);
  if (answer.type === 'closed') port.close();
});
