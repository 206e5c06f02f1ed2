/**
 * @module Graceful stop. The first SIGTERM or SIGINT while a training step runs lets the step finish; `fit`
 * then writes the training checkpoint and throws TrainingStopped, which the commands turn into exit code 75
 * (EX_TEMPFAIL, "try again later": what the Slurm scripts requeue on). Outside training (loading, evaluation,
 * between cells) and on a second signal, `onExit` runs at once: the last training checkpoint is the one
 * written at the end of the last epoch.
 */

/** Exit code of an interrupted run (sysexits.h EX_TEMPFAIL). */
export const EXIT_INTERRUPTED = 75;

export class TrainingStopped extends Error {
  override name = 'TrainingStopped';
}

let requested = false;
let activeFits = 0;

/** Whether a stop was asked for; `fit` checks it between steps. */
export function stopRequested(): boolean {
  return requested;
}

/** Asks the running fit to checkpoint and stop after its current step (what the first signal does). */
export function requestStop(): void {
  requested = true;
}

export function clearStopRequest(): void {
  requested = false;
}

/** `fit` brackets its steps with this, so a signal knows whether a step boundary is coming; call the result when done. */
export function trainingStarted(): () => void {
  activeFits++;
  let done = false;
  return () => {
    if (!done) activeFits--;
    done = true;
  };
}

/**
 * Handles SIGTERM and SIGINT until the returned function is called. `onExit` must end the process (after
 * recording what it must, e.g. the run as interrupted).
 */
export function installStopSignals(
  onExit: (signal: NodeJS.Signals) => void,
  log: (message: string) => void = (m) => console.error(m),
): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (requested || activeFits === 0) {
      log(`${signal}: stopping now`);
      onExit(signal);
      return;
    }
    requested = true;
    log(`${signal}: stopping after the current training step, once its checkpoint is written (again: stop at once)`);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
    requested = false;
  };
}
