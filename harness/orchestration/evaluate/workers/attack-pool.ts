/**
 * @module Evaluation across cores. Attacks on different batches are independent (each batch has its own
 * seed), so a pool of worker threads, each with its own one-thread backend and the model rebuilt from its
 * spec and weights, takes batches as it frees up: PGD's batches (attackAccuracyInWorkers) and the batches
 * of each AutoAttack component (autoAttackRunner). Outcomes are merged per batch, so counts, flags and
 * statistics equal those of the evaluating thread (test/harness/orchestration/evaluate/attack-pool.test.ts). TWINS and
 * CARTL fold their layers back into plain ones after training, so every method's model moves; one the zoo
 * cannot rebuild from spec and state dict (rebuildReason) is evaluated in the evaluating thread.
 */
import os from 'node:os';
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { ApgdStage } from '../../../../attacks/apgd-plan.ts';
import {
  componentAttack,
  inThreadRunner,
  type AutoAttackBatchRunner,
  type AutoAttackVersion,
  type BatchDone,
  type Component,
  type ComponentOverrides,
} from '../../../../attacks/autoattack.ts';
import type { LogitsFn } from '../../../../attacks/types.ts';
import { createAttack } from '../../../../attacks/registry.ts';
import type { Norm } from '../../../../attacks/types.ts';
import { batchIndices } from '../../../../datasets/batches.ts';
import type { DataSplit } from '../../../../datasets/types.ts';
import type { Classifier } from '../../../foundation/models/classifier.ts';
import { buildModel } from '../../../foundation/models/zoo.ts';
import type { Threat } from '../../../protocol/schema.ts';
import { attackAccuracy, type AttackAccuracy } from '../attack-accuracy.ts';
import { runBatchInShards, shardableComponent, type ShardExecutor } from '../autoattack-shards.ts';
import { emptyStats, mergeStats } from '../perturbation-check.ts';
import type { AttackRecipe, AttackSpec, FromWorker, TestHead, ToWorker, WeightsEntry } from './messages.ts';

export type { AttackSpec } from './messages.ts';

const ENTRY = new URL('./attack-worker.mjs', import.meta.url);

/**
 * Evaluation workers to use: RFTBENCH_EVAL_WORKERS when set (1 = the evaluating thread only); else one
 * per core on the CPU backends (wasm, cpu), measured faster here for both models (`npm run bench --
 * --eval-workers`), and 1 on tfjs-node(-gpu), whose one process already drives the GPU or every core.
 */
export function evaluationWorkers(env: NodeJS.ProcessEnv = process.env, backend: string = tf.getBackend()): number {
  const v = env.RFTBENCH_EVAL_WORKERS;
  if (v === undefined || v === '') return backend === 'wasm' || backend === 'cpu' ? os.cpus().length : 1;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`RFTBENCH_EVAL_WORKERS: expected a positive integer, got '${v}'`);
  return n;
}

/** Parameters and buffers as stateDict names them, without stateDict's copies. */
function tensorsOf(m: Classifier) {
  return [...m.namedParameters(), ...m.namedBuffers()];
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
    return differs
      ? `its modules differ from the zoo's ${model.spec.arch} (a method changed the architecture)`
      : undefined;
  } finally {
    fresh.dispose();
  }
}

function weightsOf(model: Classifier): WeightsEntry[] {
  return tensorsOf(model).map(([name, t]) => ({
    name,
    shape: [...t.shape],
    dtype: t.dtype === 'int32' ? 'int32' : 'float32',
    data: t.dataSync().slice() as Float32Array | Int32Array,
  }));
}

/**
 * The first n test points only: workers get a copy of just what they score (and its resize, to batch as here).
 * `copy` false gives views (to digest; a posted view would copy its whole buffer).
 */
function headOf(test: DataSplit, n: number, copy = true): TestHead {
  const per = test.shape[0] * test.shape[1] * test.shape[2];
  const images = copy ? test.images.slice(0, n * per) : test.images.subarray(0, n * per);
  const labels = copy ? test.labels.slice(0, n) : test.labels.subarray(0, n);
  const head = { images, labels, n, shape: test.shape };
  return test.pipeline ? { ...head, pipeline: test.pipeline } : head;
}

/** What identifies test points: their bytes, labels, shape and pipeline. */
function digestOf(head: TestHead): string {
  const hash = createHash('sha256');
  for (const a of [head.images, head.labels]) hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  hash.update(JSON.stringify([head.n, head.shape, head.pipeline ?? null]));
  return hash.digest('hex').slice(0, 16);
}

class PoolWorker {
  readonly worker = new Worker(ENTRY);
  /** The digest of the test points this worker holds (sent with its last init). */
  heldTest?: string;
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
    this.worker.unref();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const w = this.waiting;
    this.waiting = undefined;
    w?.reject(err);
  }

  /** Sends a message and resolves with the worker's answer; the worker keeps Node alive meanwhile. */
  async request<T extends FromWorker['type']>(m: ToWorker, expect: T): Promise<Extract<FromWorker, { type: T }>> {
    if (this.failure) throw this.failure;
    this.worker.ref();
    try {
      const answer = await new Promise<FromWorker>((resolve, reject) => {
        this.waiting = { resolve, reject };
        this.worker.postMessage(m);
      });
      if (answer.type !== expect) throw new Error(`evaluation worker answered '${answer.type}' to '${m.type}'`);
      return answer as Extract<FromWorker, { type: T }>;
    } finally {
      this.worker.unref();
    }
  }

  async close(): Promise<void> {
    if (!this.failure) await this.request({ type: 'close' }, 'closed').catch(() => undefined);
    await this.worker.terminate();
  }
}

// Workers outlive one evaluation (a run scores many cells): starting one (tsx, a backend) takes about a
// second. Idle ones are unref'd, so they never keep the process alive.
const idle: PoolWorker[] = [];

/** Like Promise.all, but waits for every request to end before failing: no worker is released busy. */
async function settleAll<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Ends the idle evaluation workers (the CLI calls it on exit; tests after using the pool). */
export async function closeEvaluationWorkers(): Promise<void> {
  await Promise.all(idle.splice(0).map((w) => w.close()));
}

/** Workers holding one model and its test points, lent out one request at a time. */
export class EvaluationPool {
  private readonly free: PoolWorker[];
  private readonly waiters: ((w: PoolWorker) => void)[] = [];

  constructor(private readonly workers: PoolWorker[]) {
    this.free = [...workers];
  }

  get size(): number {
    return this.workers.length;
  }

  private async lend<T>(f: (w: PoolWorker) => Promise<T>): Promise<T> {
    const w = this.free.pop() ?? (await new Promise<PoolWorker>((resolve) => this.waiters.push(resolve)));
    try {
      return await f(w);
    } finally {
      const next = this.waiters.shift();
      if (next) next(w);
      else this.free.push(w);
    }
  }

  /** attackBatch on test points start..end-1 in a worker. */
  score(attack: AttackRecipe, threat: Threat, seed: number, batch: { batchNo: number; start: number; end: number }) {
    return this.lend((w) => w.request({ type: 'score', attack, threat, seed, ...batch }, 'scored'));
  }

  /** One attack run on the given points in a worker: predictions on its examples and the examples. */
  attackPoints(attack: AttackRecipe, points: readonly number[], seed: number): Promise<BatchDone> {
    return this.lend((w) => w.request({ type: 'attack-points', attack, points: [...points], seed }, 'attacked'));
  }

  /** Clean logits of the given test points in a worker, with the points and labels. */
  cleanRows(points: readonly number[]) {
    return this.lend((w) => w.request({ type: 'clean-rows', points: [...points] }, 'clean-rows'));
  }

  /** Rows `take` of an APGD stage (test points `points`) in a worker. */
  apgdShard(attack: AttackRecipe, points: number[], stage: ApgdStage, take: number[]) {
    return this.lend((w) => w.request({ type: 'apgd-shard', attack, points, stage, take }, 'shard-done'));
  }

  /** Healthy workers go back to the idle list for the next evaluation; failed ones are ended. */
  release(): void {
    for (const w of this.workers) {
      if (w.failure) void w.close();
      else idle.push(w);
    }
  }
}

/**
 * A pool of `workers` threads holding `model` and the first n test points, or undefined (with the reason
 * through `log`) when evaluation stays in this thread: one worker asked for, or a model the zoo cannot rebuild.
 */
export async function openEvaluationPool(
  model: Classifier,
  test: DataSplit,
  n: number,
  opts: { workers: number; threadsPerWorker?: number; log?: (line: string) => void },
): Promise<EvaluationPool | undefined> {
  if (opts.workers <= 1) return undefined;
  const reason = rebuildReason(model);
  if (reason) {
    opts.log?.(`evaluation in this thread: ${reason}`);
    return undefined;
  }
  const threads = opts.threadsPerWorker ?? 1;
  const points = Math.min(n, test.n);
  const testDigest = digestOf(headOf(test, points, false));
  const init = { type: 'init', spec: model.spec, weights: weightsOf(model), testDigest, threads } as const;
  const workers = idle.splice(0, opts.workers);
  while (workers.length < opts.workers) workers.push(new PoolWorker());
  const pool = new EvaluationPool(workers);
  try {
    // A worker keeps the points of its last evaluation: copying them into it again every cell left garbage that
    // its V8, idle between requests, collected late (RSS grew ~6 MiB a cell with two workers).
    await settleAll(
      workers.map(async (w) => {
        const held = w.heldTest === testDigest;
        w.heldTest = undefined;
        await w.request(held ? init : { ...init, test: headOf(test, points) }, 'ready');
        w.heldTest = testDigest;
      }),
    );
  } catch (err) {
    pool.release();
    throw err;
  }
  opts.log?.(`evaluation in ${opts.workers} worker threads x ${threads} backend thread${threads === 1 ? '' : 's'}`);
  return pool;
}

export interface PoolOptions {
  n: number;
  batchSize: number;
  attack: AttackSpec;
  threat: Threat;
  seed: number;
  /** Worker threads; 1 evaluates in this thread. */
  workers: number;
  /** Backend threads per worker (default 1: the pool is the parallelism). */
  threadsPerWorker?: number;
  onBatch?: (done: number, total: number) => void;
  log?: (line: string) => void;
  /** An open pool to use (evaluateRobustness shares one between PGD and AutoAttack). */
  pool?: EvaluationPool;
}

/** Clean and robust accuracy of `opts.attack` on the first n points, in worker threads where possible. */
export async function attackAccuracyInWorkers(
  model: Classifier,
  test: DataSplit,
  opts: PoolOptions,
): Promise<AttackAccuracy> {
  const n = Math.min(opts.n, test.n);
  const batches = [...batchIndices(n, { batchSize: opts.batchSize })].map((idx, batchNo) => ({
    batchNo,
    start: idx[0],
    end: idx[0] + idx.length,
  }));
  const pool =
    opts.pool ??
    (batches.length > 1
      ? await openEvaluationPool(model, test, n, { ...opts, workers: Math.min(opts.workers, batches.length) })
      : undefined);
  if (!pool) {
    const attack = createAttack(opts.attack.id, opts.attack.options);
    return attackAccuracy((x) => model.forward(x), test, { ...opts, attack });
  }
  const recipe: AttackRecipe = { kind: 'registry', ...opts.attack };
  const robustFlags = new Uint8Array(n);
  const stats = emptyStats();
  let clean = 0;
  let robust = 0;
  let done = 0;
  try {
    // Every batch goes to the next free worker; the merge does not depend on the order they finish in.
    await settleAll(
      batches.map(async (b) => {
        const r = await pool.score(recipe, opts.threat, opts.seed, b);
        clean += r.clean;
        robust += r.robust;
        for (const i of r.robustIndices) robustFlags[i] = 1;
        mergeStats(stats, r.stats);
        done += b.end - b.start;
        opts.onBatch?.(done, n);
      }),
    );
  } finally {
    if (!opts.pool) pool.release();
  }
  return { n, clean, robust, robustFlags, stats };
}

/** The evaluating thread's own model and points, for the batches it runs itself. */
export interface HereSide {
  readonly model: LogitsFn;
  readonly x: tf.Tensor4D;
  readonly y: tf.Tensor1D;
}

/**
 * AutoAttack's batches of one component, `pool.size` at a time, in the pool's workers. With fewer batches
 * than workers, a Linf APGD component's batches are shared out by points (autoattack-shards.ts), with the
 * outcome each batch has in one worker. A single batch of a component that cannot be shared out (FAB-T,
 * Square, L2 APGD) runs in this thread when `here` is given: with all of the backend's threads instead of a
 * worker's one (Square on the quick tier's points: 35 s in a worker). Every kernel gives an image the same
 * bits whatever the thread count, so the outcome is the one a worker gives (attack-pool.test.ts).
 */
export function autoAttackRunner(
  pool: EvaluationPool,
  config: { version: AutoAttackVersion; norm: Norm; eps: number; overrides?: ComponentOverrides },
  here?: HereSide,
): AutoAttackBatchRunner {
  return {
    width: pool.size,
    run: (name, jobs) => {
      const recipe: AttackRecipe = { kind: 'autoattack-component', name, ...config };
      const staged = jobs.length < pool.size ? shardableComponent(name, config) : undefined;
      if (!staged && here && jobs.length === 1) {
        const attackOf = (c: Component) =>
          componentAttack(c, config.version, config.norm, config.eps, config.overrides);
        return inThreadRunner(here.model, here.x, here.y, attackOf).run(name, jobs);
      }
      if (!staged) return settleAll(jobs.map((j) => pool.attackPoints(recipe, j.points, j.seed)));
      const exec: ShardExecutor = {
        clean: (parts) => settleAll(parts.map((points) => pool.cleanRows(points))),
        stage: (stage, parts) => settleAll(parts.map((p) => pool.apgdShard(recipe, p.points, stage, p.take))),
      };
      const shards = Math.floor(pool.size / jobs.length);
      return settleAll(jobs.map((j) => runBatchInShards(staged, j, shards, exec)));
    },
  };
}
