/**
 * @module Resumable training. A TrainState belongs to one cell (or one source pre-training) and lives in
 * `<data>/train-state/<key>/`: `state.json` (the manifest, written atomically after the tensor file it
 * names) and safetensors files of tensors. Every `fit` run under it (`state.run(...)`) gets a sequential
 * index and checkpoints at each epoch end and every `checkpointMinutes` within an epoch: the model's
 * parameters and buffers, the optimiser's state, the position (fit, epoch, step, loss so far), every RNG
 * stream's position, the curves and artifacts recorded so far, and each `persist`ed method state.
 *
 * A resumed run replays the method's code from the start (every random draw comes from the run's seeded
 * streams, so the replay is exact): a finished fit is skipped with everything put back as it was at its
 * end, a finished `stage` returns its stored JSON result, and the fit that was running continues from its
 * last checkpoint. The result is bit-identical to an uninterrupted run on the same backend.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { dataRoot } from '../../../datasets/cache-dir.ts';
import type { Module } from '../../foundation/nn/module.ts';
import type { OptimizerState } from '../../foundation/nn/optim.ts';
import { writeJsonAtomic } from '../../foundation/util/atomic-write.ts';
import { RngStreams, type RngPositions } from './rng-streams.ts';
import { readTensorFile, writeTensorFile } from './state-file.ts';

export const DEFAULT_CHECKPOINT_MINUTES = 10;

export interface TrainStateOptions {
  /** Minutes between checkpoints within an epoch; 0 checkpoints after every step. @default 10 */
  checkpointMinutes?: number;
  /** Keep the files once the cell (or source) is recorded. @default false */
  keepTrainState?: boolean;
}

/** `<data>/train-state/<key>`: a cell's id, or `source-<id>` for a source pre-training. */
export function trainStateDir(key: string, dataDir?: string): string {
  return join(dataRoot({ dataDir }), 'train-state', key);
}

/** Called once the cell or source is recorded: its training state is no longer needed (unless kept). */
export function discardTrainState(key: string, opts: TrainStateOptions & { dataDir?: string }): void {
  if (!opts.keepTrainState) rmSync(trainStateDir(key, opts.dataDir), { recursive: true, force: true });
}

/**
 * State a method keeps outside the model across epochs (RiFT's best epoch so far), saved with every
 * checkpoint. `save` lends its tensors (they stay the holder's); `restore` hands new tensors to the holder.
 * `json` goes through JSON (no Infinity, NaN or undefined).
 */
export interface PersistentState {
  save(): { json?: unknown; tensors?: Record<string, tf.Tensor> };
  restore(saved: { json?: unknown; tensors: Record<string, tf.Tensor> }): void;
}

/** The training-state helpers a method's context carries (see methods/define.ts). */
export interface TrainStateHooks {
  /** Runs `compute` once per cell: a resumed run gets the stored JSON result back without recomputing. */
  stage<T>(name: string, compute: () => T | Promise<T>): Promise<T>;
  /** Saves `holder`'s state with every later checkpoint and restores it on resume. */
  persist(name: string, holder: PersistentState): void;
}

/** For contexts without checkpoints (unit tests): stages compute, nothing persists. */
export const NO_TRAIN_STATE: TrainStateHooks = {
  stage: async (_name, compute) => compute(),
  persist: () => {},
};

/** What `fit` hands over to be checkpointed. */
export interface FitSubject {
  model: Module;
  optimizer: { state(): OptimizerState; loadState(s: OptimizerState): void };
  epochs: number;
  stepsPerEpoch: number;
}

/** Where a fit stands: `step` steps of `epoch` are done, with `lossSum` over `seen` examples so far in it. */
export interface FitPosition {
  epoch: number;
  step: number;
  lossSum: number;
  seen: number;
}

export interface FitCheckpoints {
  readonly index: number;
  /** The fit had finished: the model and the rest are as they were at its end; skip it. */
  readonly finished: boolean;
  /** The fit was running: everything is restored to this position; continue from it. */
  readonly resumeAt?: FitPosition;
  /** Whether the checkpoint interval has passed since the last one. */
  due(): boolean;
  save(position: FitPosition): void;
  finish(): void;
}

type Curve = Record<string, number>;

interface Records {
  rngs: RngPositions;
  curves: Curve[];
  artifacts: Record<string, unknown>;
}

interface Snapshot extends Records {
  /** The tensor file: `model.*`, `optim.*`, `persist.<name>.*`. */
  file: string;
  optimizer: Record<string, number>;
  persisted: Record<string, { json?: unknown }>;
}

interface FitRecord {
  index: number;
  epochs: number;
  stepsPerEpoch: number;
  end: Snapshot;
}

interface StageRecord extends Records {
  name: string;
  result: unknown;
}

interface Manifest {
  kind: 'rftbench-train-state';
  version: 1;
  /** Optimiser steps done so far in this cell, for progress reports. */
  stepsDone: number;
  /** Seconds the processes before this one spent until their last checkpoint (the cell's cost adds them). */
  seconds: number;
  /** Numbers the tensor files, so a new one never overwrites the one the manifest still names. */
  seq: number;
  fits: FitRecord[];
  stages: StageRecord[];
  current: (FitPosition & { fit: number; epochs: number; stepsPerEpoch: number; snapshot: Snapshot }) | null;
  updatedAt: number;
}

const MANIFEST = 'state.json';
const storage = new AsyncLocalStorage<TrainState>();

/** The TrainState `fit` checkpoints into: the innermost `state.run(...)` around it, if any. */
export function activeTrainState(): TrainState | undefined {
  return storage.getStore();
}

function readManifest(dir: string): Manifest | undefined {
  const path = join(dir, MANIFEST);
  if (!existsSync(path)) return undefined;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (err) {
    const why = (err as Error).message;
    throw new Error(
      `${path}: unreadable training checkpoint (${why}); delete ${dir} to train this cell from the start`,
    );
  }
  if (m?.kind !== 'rftbench-train-state' || m.version !== 1 || !Array.isArray(m.fits) || !Array.isArray(m.stages)) {
    throw new Error(
      `${path}: not a version-1 rftbench training checkpoint; delete ${dir} to train this cell from the start`,
    );
  }
  return m;
}

function emptyManifest(): Manifest {
  const empty = { stepsDone: 0, seconds: 0, seq: 0, fits: [], stages: [], current: null, updatedAt: Date.now() };
  return { kind: 'rftbench-train-state', version: 1, ...empty };
}

function withPrefix(tensors: Record<string, tf.Tensor>, prefix: string): Record<string, tf.Tensor> {
  const mine = Object.entries(tensors).filter(([k]) => k.startsWith(prefix));
  return Object.fromEntries(mine.map(([k, t]) => [k.slice(prefix.length), t]));
}

export class TrainState implements TrainStateHooks {
  readonly rngs = new RngStreams();
  /** The run's curves and artifacts: kept here so checkpoints hold them and a resumed run gets them back. */
  readonly curves: Curve[] = [];
  readonly artifacts: Record<string, unknown> = {};
  private readonly holders = new Map<string, PersistentState>();
  private readonly stagesRun = new Set<string>();
  private fitsBegun = 0;
  private lastSave = performance.now();
  /** Set when a write failed (a full disk): training goes on, the last checkpoint written stays the one to resume. */
  private writeFailed = false;
  private readonly opened = performance.now();
  /** Training seconds of the earlier processes, up to their last checkpoint: add them to this one's. */
  readonly secondsBefore: number;

  /** What is written from now on; `plan` (what an earlier process left) alone decides what to skip or resume. */
  private readonly manifest: Manifest;

  private constructor(
    readonly dir: string,
    private readonly plan: Manifest,
    private readonly intervalMs: number,
    private readonly log: (message: string) => void,
  ) {
    this.manifest = structuredClone(plan);
    this.secondsBefore = plan.seconds ?? 0;
  }

  /** Opens the state in `dir`, resuming what a previous process left there. */
  static open(dir: string, opts: TrainStateOptions & { log?: (m: string) => void } = {}): TrainState {
    const { checkpointMinutes = DEFAULT_CHECKPOINT_MINUTES, log = () => {} } = opts;
    if (!Number.isFinite(checkpointMinutes) || checkpointMinutes < 0) {
      throw new Error(`checkpoint minutes must be a number >= 0, got ${checkpointMinutes}`);
    }
    const saved = readManifest(dir);
    const state = new TrainState(dir, saved ?? emptyManifest(), checkpointMinutes * 60_000, log);
    if (saved) {
      const c = saved.current;
      const at = c ? `, fit ${c.fit + 1} at epoch ${c.epoch + 1} step ${c.step}` : '';
      log(
        `resuming from the training checkpoint in ${dir}: ${saved.fits.length} fit(s) done${at} (${saved.stepsDone} steps)`,
      );
    }
    return state;
  }

  /** Runs `fn` with this state active: the fits inside it checkpoint here. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return storage.run(this, fn);
  }

  stage = async <T>(name: string, compute: () => T | Promise<T>): Promise<T> => {
    if (this.stagesRun.has(name)) {
      throw new Error(`training state: stage '${name}' ran twice in one cell; stage names must be unique`);
    }
    this.stagesRun.add(name);
    const saved = this.plan.stages.find((s) => s.name === name);
    if (saved) {
      this.restoreRecords(saved);
      this.log(`stage ${name}: result taken from the training checkpoint`);
      return saved.result as T;
    }
    // Through JSON now, so a first run continues with exactly what a resumed one would get back.
    const result = JSON.parse(JSON.stringify((await compute()) ?? null)) as T;
    this.write(() => this.manifest.stages.push({ name, result, ...this.records() }));
    return result;
  };

  persist = (name: string, holder: PersistentState): void => {
    if (name.includes('.')) throw new Error(`training state: persist name '${name}' must not contain a dot`);
    this.holders.set(name, holder);
  };

  beginFit(subject: FitSubject): FitCheckpoints {
    const index = this.fitsBegun++;
    const { fits, current } = this.plan;
    const shape = (r: { epochs: number; stepsPerEpoch: number }) =>
      `${r.epochs} epoch(s) of ${r.stepsPerEpoch} step(s)`;
    const check = (r: { epochs: number; stepsPerEpoch: number }) => {
      if (r.epochs !== subject.epochs || r.stepsPerEpoch !== subject.stepsPerEpoch) {
        throw new Error(
          `${join(this.dir, MANIFEST)}: fit ${index + 1} was ${shape(r)}, this run's is ${shape(subject)}; ` +
            `the training changed since the checkpoint — delete ${this.dir} to start over`,
        );
      }
    };
    const done = fits.find((f) => f.index === index);
    let resumeAt: FitPosition | undefined;
    if (done) {
      check(done);
      this.restore(done.end, subject, false);
    } else if (current?.fit === index) {
      check(current);
      this.restore(current.snapshot, subject, true);
      resumeAt = { epoch: current.epoch, step: current.step, lossSum: current.lossSum, seen: current.seen };
      this.log(`fit ${index + 1}: resuming at epoch ${current.epoch + 1}, step ${current.step}`);
    } else if (index < fits.length || (current && current.fit > index)) {
      throw new Error(
        `${join(this.dir, MANIFEST)}: the checkpoint does not match this run's sequence of fits ` +
          `(fit ${index + 1} begins); delete ${this.dir} to start over`,
      );
    }
    this.lastSave = performance.now();
    return {
      index,
      finished: !!done,
      resumeAt,
      due: () => performance.now() - this.lastSave >= this.intervalMs,
      save: (position) =>
        this.write(() => {
          const snapshot = this.snapshot(subject, true);
          const { epochs, stepsPerEpoch } = subject;
          this.manifest.current = { fit: index, epochs, stepsPerEpoch, ...position, snapshot };
        }),
      finish: () =>
        this.write(() => {
          // The end state without the optimiser: each fit makes its own.
          const end = this.snapshot(subject, false);
          this.manifest.fits.push({ index, epochs: subject.epochs, stepsPerEpoch: subject.stepsPerEpoch, end });
          this.manifest.current = null;
        }),
    };
  }

  private records(): Records {
    const artifacts = JSON.parse(JSON.stringify(this.artifacts)) as Record<string, unknown>;
    return { rngs: this.rngs.positions(), curves: structuredClone(this.curves), artifacts };
  }

  private restoreRecords(r: Records): void {
    this.rngs.restore(r.rngs);
    this.curves.splice(0, this.curves.length, ...structuredClone(r.curves));
    for (const k of Object.keys(this.artifacts)) delete this.artifacts[k];
    Object.assign(this.artifacts, structuredClone(r.artifacts));
  }

  private snapshot(subject: FitSubject, withOptimizer: boolean): Snapshot {
    const tensors: Record<string, tf.Tensor> = {};
    const { model } = subject;
    for (const [name, v] of [...model.namedParameters(), ...model.namedBuffers()]) tensors[`model.${name}`] = v;
    const optimizer = withOptimizer ? subject.optimizer.state() : { tensors: {}, counters: {} };
    for (const [name, t] of Object.entries(optimizer.tensors)) tensors[`optim.${name}`] = t;
    const persisted: Snapshot['persisted'] = {};
    for (const [name, holder] of this.holders) {
      const saved = holder.save();
      persisted[name] = { json: saved.json === undefined ? undefined : JSON.parse(JSON.stringify(saved.json)) };
      for (const [key, t] of Object.entries(saved.tensors ?? {})) tensors[`persist.${name}.${key}`] = t;
    }
    const file = `snap-${++this.manifest.seq}.safetensors`;
    writeTensorFile(join(this.dir, file), tensors);
    this.lastSave = performance.now();
    return { file, optimizer: optimizer.counters, persisted, ...this.records() };
  }

  private restore(s: Snapshot, subject: FitSubject, withOptimizer: boolean): void {
    const tensors = readTensorFile(join(this.dir, s.file));
    const owned = new Set<tf.Tensor>();
    try {
      subject.model.loadStateDict(withPrefix(tensors, 'model.'));
      if (withOptimizer) subject.optimizer.loadState({ tensors: withPrefix(tensors, 'optim.'), counters: s.optimizer });
      this.restoreRecords(s);
      for (const [name, saved] of Object.entries(s.persisted)) {
        const holder = this.holders.get(name);
        if (!holder) continue;
        const mine = withPrefix(tensors, `persist.${name}.`);
        for (const t of Object.values(mine)) owned.add(t);
        holder.restore({ json: saved.json, tensors: mine });
      }
    } finally {
      tf.dispose(Object.values(tensors).filter((t) => !owned.has(t)));
    }
  }

  /**
   * Applies `change` to the manifest and commits it. After a failed write nothing more is written: the files
   * on disk stay a consistent checkpoint (an earlier one), which is better than failing the training.
   */
  private write(change: () => void): void {
    if (this.writeFailed) return;
    try {
      change();
      this.commit();
    } catch (err) {
      this.writeFailed = true;
      const why = (err as Error).message;
      this.log(
        `training checkpoint not written (${why}); training goes on, a resumed run starts from the last one written`,
      );
    }
  }

  /** Writes the manifest (after the tensor file it names), then removes the files no longer named. */
  private commit(): void {
    const m = this.manifest;
    const stepsOf = (r: { epochs: number; stepsPerEpoch: number }) => r.epochs * r.stepsPerEpoch;
    const running = m.current ? m.current.epoch * m.current.stepsPerEpoch + m.current.step : 0;
    m.stepsDone = m.fits.reduce((s, f) => s + stepsOf(f), 0) + running;
    m.seconds = this.secondsBefore + (performance.now() - this.opened) / 1000;
    m.updatedAt = Date.now();
    writeJsonAtomic(join(this.dir, MANIFEST), m);
    const named = new Set([...m.fits.map((f) => f.end.file), ...(m.current ? [m.current.snapshot.file] : [])]);
    for (const f of readdirSync(this.dir)) {
      const stale = f !== MANIFEST && !named.has(f) && (f.endsWith('.safetensors') || f.includes('.tmp-'));
      if (stale) rmSync(join(this.dir, f), { force: true });
    }
  }
}
