/**
 * @module One evaluation worker: its own backend (wasm, `threads` threads), the model rebuilt from its
 * spec and weights, its own attack from the registry; it scores the batches the pool hands it with the
 * same code as the in-process loop (attackBatch), so results do not depend on which worker ran a batch.
 */
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { createAttack } from '../../../attacks/registry.ts';
import type { Attack, LogitsFn } from '../../../attacks/types.ts';
import type { DataSplit } from '../../../datasets/types.ts';
import type { Classifier } from '../../models/classifier.ts';
import { buildModel } from '../../models/zoo.ts';
import type { Threat } from '../../protocol/schema.ts';
import { initBackend, shutdownBackend } from '../../tensor/backend.ts';
import { attackBatch } from '../attack-accuracy.ts';
import { emptyStats } from '../perturbation-check.ts';
import type { FromWorker, InitMessage, ToWorker } from './messages.ts';

const port = parentPort;
if (!port) throw new Error('attack-worker.ts runs only as a worker thread (see attack-pool.ts)');

let state: { model: Classifier; logits: LogitsFn; test: DataSplit; attack: Attack; threat: Threat; seed: number } | undefined;

const send = (m: FromWorker) => port.postMessage(m);

/** A worker serves many evaluations: the backend starts once, the model and attack change per init. */
async function init(m: InitMessage): Promise<void> {
  const info = await initBackend({ threads: m.threads });
  await tf.setBackend(info.name === 'tensorflow-gpu' ? 'tensorflow' : info.name);
  state?.model.dispose();
  state = undefined;
  const model = buildModel(m.spec, 0);
  const weights = Object.fromEntries(m.weights.map((w) => [w.name, tf.tensor(w.data, w.shape, w.dtype)]));
  try {
    model.loadStateDict(weights, { strict: true });
  } finally {
    tf.dispose(Object.values(weights));
  }
  model.eval();
  state = { model, logits: (x) => model.forward(x), test: m.test, attack: createAttack(m.attack.id, m.attack.options), threat: m.threat, seed: m.seed };
  send({ type: 'ready', backend: `${info.name} x${info.threads}` });
}

port.on('message', async (m: ToWorker) => {
  try {
    if (m.type === 'init') await init(m);
    else if (m.type === 'batch') {
      if (!state) throw new Error('batch before init');
      const idx = Int32Array.from({ length: m.end - m.start }, (_, i) => m.start + i);
      const stats = emptyStats();
      const b = attackBatch(state.logits, state.test, idx, m.batchNo, state, stats);
      send({ type: 'done', batchNo: m.batchNo, ...b, stats });
    } else {
      state?.model.dispose();
      state = undefined;
      await shutdownBackend();
      send({ type: 'closed' });
      port.close();
    }
  } catch (err) {
    send({ type: 'error', message: (err as Error).stack ?? String(err) });
  }
});
