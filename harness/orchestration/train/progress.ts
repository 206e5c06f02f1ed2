/**
 * @module Training progress: `fit` reports each step (epoch and step done of the total, and how fast the steps
 * run in this process) to a listener. The listener is fit's `onProgress` option, else the one the caller set
 * for everything it runs (`withTrainingProgress`: the runner, per cell), else, under the CLI, the command's
 * logger. Methods and pre-training need no change to be followed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { formatDuration } from '../../../datasets/download-progress.ts';
import { commandLogger } from '../../foundation/util/log.ts';

export interface TrainingProgress {
  /** The epoch in progress, 0-based, of `epochs`. */
  readonly epoch: number;
  readonly epochs: number;
  /** Steps done in this epoch (1 to `steps`). */
  readonly step: number;
  readonly steps: number;
  /** Seconds since this fit started (or resumed) in this process, and the steps it took in them. */
  readonly seconds: number;
  readonly stepsRun: number;
}

export type TrainingProgressListener = (p: TrainingProgress) => void;

/** Steps left in the fit, all epochs included. */
export function stepsLeft(p: TrainingProgress): number {
  return (p.epochs - p.epoch - 1) * p.steps + (p.steps - p.step);
}

/** Seconds left in the fit at the speed measured so far in this process; undefined before a step has run. */
export function trainingSecondsLeft(p: TrainingProgress): number | undefined {
  if (p.stepsRun <= 0 || p.seconds <= 0) return undefined;
  return (p.seconds / p.stepsRun) * stepsLeft(p);
}

export function describeTraining(p: TrainingProgress): string {
  return `training epoch ${p.epoch + 1}/${p.epochs}, step ${p.step}/${p.steps}`;
}

const scope = new AsyncLocalStorage<TrainingProgressListener>();

/** Runs `fn` with `listener` receiving the progress of every fit inside it (async work included). */
export function withTrainingProgress<T>(listener: TrainingProgressListener, fn: () => T): T {
  return scope.run(listener, fn);
}

/** The listener for a fit started here: the enclosing `withTrainingProgress`, else the command's logger. */
export function currentTrainingListener(): TrainingProgressListener | undefined {
  return scope.getStore() ?? (commandLogger() ? logTraining : undefined);
}

/** Outside the runner (`rftbench pretrain`, `submit` checks): a progress line and one line per epoch. */
function logTraining(p: TrainingProgress): void {
  const logger = commandLogger();
  if (!logger) return;
  const left = trainingSecondsLeft(p);
  const text = left === undefined ? 'ETA unknown' : `ETA ${formatDuration(left)}`;
  const eta = left === undefined ? null : Math.ceil(left);
  const fields = { epoch: p.epoch + 1, epochs: p.epochs, step: p.step, steps: p.steps, eta };
  if (p.step === p.steps) logger.info(`epoch ${p.epoch + 1}/${p.epochs} done · training ${text}`, 'epoch', fields);
  else logger.progress('train-progress', `${describeTraining(p)} · ${text}`, fields);
}

/**
 * What fit calls after each step: times the fit from its first step in this process. `listener` defaults to
 * `currentTrainingListener()`; without any, reporting costs nothing.
 */
export function stepReporter(
  epochs: number,
  steps: number,
  listener = currentTrainingListener(),
  now: () => number = () => performance.now(),
): (epoch: number, step: number) => void {
  if (!listener) return () => {};
  const started = now();
  let stepsRun = 0;
  return (epoch, step) => {
    stepsRun++;
    listener({ epoch, epochs, step, steps, seconds: (now() - started) / 1000, stepsRun });
  };
}
