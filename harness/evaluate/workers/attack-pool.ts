/**
 * @module Evaluation across cores: attacks on different batches are independent (each has its own seed,
 * batchSeed), so a pool of worker threads, each with its own one-thread backend, takes batches from a
 * queue as it frees up. Scores are merged per batch, so flags, counts and perturbation stats equal those
 * of one worker (test/harness/evaluate/attack-pool.test.ts). Only a model the zoo can rebuild from its
 * spec and state dict can move to workers (rebuildReason); anything else is evaluated in-process.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { createAttack } from '../../../attacks/registry.ts';
import { batchIndices } from '../../../datasets/batches.ts';
import type { DataSplit } from '../../../datasets/types.ts';
import type { Classifier } from '../../models/classifier.ts';
import { buildModel } from '../../models/zoo.ts';
import type { Threat } from '../../protocol/schema.ts';
import { attackAccuracy, type AttackAccuracy } from '../attack-accuracy.ts';
import { emptyStats, mergeStats } from '../perturbation-check.ts';
import type { AttackSpec, FromWorker, ToWorker, WeightsEntry } from './messages.ts';

export type { AttackSpec } from './messages.ts';

const ENTRY = new URL('./attack-worker.mjs', import.meta.url);

export interface PoolOptions {
  n: number;
  batchSize: number;
  attack: AttackSpec;
  threat: Threat;
  seed: number;
  /** Worker threads; 1 or fewer evaluates in this thread. */
  workers: number;
  /** Backend threads per worker (default 1: the pool is the parallelism). */
  threadsPerWorker?: number;
  onBatch?: (done: number, total: number) => void;
  log?: (line: string) => void;
}

/**
 * Evaluation workers to use: RFTBENCH_EVAL_WORKERS when set (1 = in-process), else one per core. Measured
 * here (2 cores, `npm run bench -- --eval-workers`): see README "Evaluation across cores".
 */
export function evaluationWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.RFTBENCH_EVAL_WORKERS;
  if (v === undefined || v === '') return os.cpus().length;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`RFTBENCH_EVAL_WORKERS: expected a positive integer, got '${v}'`);
  return n;
}

/** Why `model` cannot be rebuilt in a worker from its spec and state dict, or undefined when it can. */
export function rebuildReason(model: Classifier): string | undefined {
  let fresh: Classifier;
  try {
    fresh = buildModel(model.spec, 0);
  } catch (err) {
    return `the zoo cannot build ${model.spec.arch}: ${(err as Error).message}`;
  }
  try {
    const shape = (m: Classifier) => [
      ...m.namedModules().map(([name, mod]) => `${name}:${mod.constructor.name}`),
      ...tensorsOf(m).map(([name, t]) => `${name}:${t.dtype}[${t.shape}]`),
    ];
    const a = shape(model);
    const b = shape(fresh);
    const differs = a.length !== b.length || a.some((s, i) => s !== b[i]);
    return differs ? `its modules differ from the zoo's ${model.spec.arch} (a method changed the architecture)` : undefined;
  } finally {
    fresh.dispose();
  }
}

/** Parameters and buffers as stateDict names them, without stateDict's copies. */
function tensorsOf(m: Classifier) {
  return [...m.namedParameters(), ...m.namedBuffers()];
}

function weightsOf(model: Classifier): WeightsEntry[] {
  return tensorsOf(model).map(([name, t]) => ({
    name,
    shape: [...t.shape],
    dtype: t.dtype === 'int32' ? 'int32' : 'float32',
    data: t.dataSync().slice() as Float32Array | Int32Array,
  }));
}

/** The first n test points only: workers get a copy of just what they score. */
function headOf(test: DataSplit, n: number): Pick<DataSplit, 'images' | 'labels' | 'n' | 'shape'> {
  const per = test.shape[0] * test.shape[1] * test.shape[2];
  return { images: test.images.slice(0, n * per), labels: test.labels.slice(0, n), n, shape: test.shape };
}

class PoolWorker {
  readonly worker = new Worker(ENTRY);
  private waiting?: { resolve: (m: FromWorker) => void; reject: (e: Error) => void };
  failure?: Error;

  constructor() {
    this.worker.on('message', (m: FromWorker) => {
      const w = this.waiting;
      this.waiting = undefined;
      if (m.type === 'error') w?.reject(new Error(`evaluation worker: ${m.message}`));
      else w?.resolve(m);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`evaluation worker exited (code ${code})`)));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(err);
  }

  /** Sends a message and resolves with the worker's answer; the worker keeps Node alive meanwhile. */
  async request(m: ToWorker): Promise<FromWorker> {
    if (this.failure) throw this.failure;
    this.worker.ref();
    try {
      return await new Promise<FromWorker>((resolve, reject) => {
        this.waiting = { resolve, reject };
        this.worker.postMessage(m);
      });
    } finally {
      this.worker.unref();
    }
  }

  async close(): Promise<void> {
    if (!this.failure) await this.request({ type: 'close' }).catch(() => undefined);
    await this.worker.terminate();
  }
}

// Workers outlive one evaluation (a run scores many cells): starting one (tsx, a backend) takes about
// a second. Idle ones are unref'd, so they never keep the process alive.
const idle: PoolWorker[] = [];

function acquire(count: number): PoolWorker[] {
  const pool = idle.splice(0, count);
  while (pool.length < count) pool.push(new PoolWorker());
  return pool;
}

/** Ends the idle evaluation workers (the CLI calls it on exit; tests after using the pool). */
export async function closeEvaluationWorkers(): Promise<void> {
  await Promise.all(idle.splice(0).map((w) => w.close()));
}

/**
 * Clean and robust accuracy of `opts.attack` on the first n points, in `opts.workers` worker threads when
 * the model can be rebuilt there (else in this thread, saying why through `log`).
 */
export async function attackAccuracyInWorkers(model: Classifier, test: DataSplit, opts: PoolOptions): Promise<AttackAccuracy> {
  const n = Math.min(opts.n, test.n);
  const batches = [...batchIndices(n, { batchSize: opts.batchSize })].map((idx, batchNo) => ({ batchNo, start: idx[0], end: idx[0] + idx.length }));
  const reason = opts.workers <= 1 ? undefined : rebuildReason(model);
  const count = Math.min(opts.workers, batches.length);
  if (count <= 1 || reason) {
    if (reason) opts.log?.(`evaluation in this thread: ${reason}`);
    const attack = createAttack(opts.attack.id, opts.attack.options);
    return attackAccuracy((x) => model.forward(x), test, { ...opts, attack });
  }
  const init: ToWorker = { type: 'init', spec: model.spec, weights: weightsOf(model), test: headOf(test, n), attack: opts.attack, threat: opts.threat, seed: opts.seed, threads: opts.threadsPerWorker ?? 1 };
  const pool = acquire(count);
  const robustFlags = new Uint8Array(n);
  const stats = emptyStats();
  let clean = 0;
  let robust = 0;
  let done = 0;
  let next = 0;
  try {
    await Promise.all(pool.map((w) => w.request(init)));
    opts.log?.(`evaluation in ${count} worker threads x ${init.threads} backend thread${init.threads === 1 ? '' : 's'}`);
    // Each worker takes the next batch as soon as it is free; the merge does not depend on the order.
    await Promise.all(
      pool.map(async (w) => {
        while (next < batches.length) {
          const b = batches[next++];
          const r = await w.request({ type: 'batch', ...b });
          if (r.type !== 'done' || r.batchNo !== b.batchNo) throw new Error(`evaluation worker answered ${r.type} for batch ${b.batchNo}`);
          clean += r.clean;
          robust += r.robust;
          for (const i of r.robustIndices) robustFlags[i] = 1;
          mergeStats(stats, r.stats);
          done += b.end - b.start;
          opts.onBatch?.(done, n);
        }
      }),
    );
  } finally {
    // Healthy workers go back to the idle list; a failed one is ended (its batch fails the evaluation).
    for (const w of pool) {
      if (w.failure) void w.close();
      else idle.push(w);
    }
  }
  return { n, clean, robust, robustFlags, stats };
}
