/**
 * @module What a running suite tells the person (or CI job) following it: cell-start and cell-end events, and
 * within a cell the training and evaluation progress with ETAs from measured speed. The phase's ETA comes from
 * its own steps or batches so far; the cell's adds the mean evaluation time of the cells completed in this
 * run; the suite's adds the mean time per cell ended in this run times the cells after this one (unknown
 * until one has ended).
 */
import { formatDuration } from '../../../datasets/download-progress.ts';
import { describeTraining, trainingSecondsLeft, type TrainingProgress } from '../train/progress.ts';
import { loggerOf, type LogFields, type Logger } from '../../foundation/util/log.ts';

export interface CellEnd {
  status: 'completed' | 'failed';
  /** The line to print ("done in 12.0 s: clean 93.4%, …" or "FAILED: …"). */
  msg: string;
  seconds: number;
  trainSeconds?: number;
  evalSeconds?: number;
  fields?: LogFields;
}

type Phase =
  | { kind: 'starting' }
  | { kind: 'training'; p: TrainingProgress; at: number }
  | {
      kind: 'evaluating';
      /** When evaluation began, the first batch, the batches done then, now and of how many, the last report. */
      startedAt: number;
      firstAt: number;
      firstDone: number;
      done: number;
      total: number;
      at: number;
    };

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
const eta = (s: number | undefined) => (s === undefined ? '?' : formatDuration(s));
/** Whole seconds, rounded up as formatDuration does, so a JSON field and its text agree. */
const seconds = (s: number | undefined) => (s === undefined ? null : Math.ceil(s));
const cells = (n: number) => `${n} cell${n === 1 ? '' : 's'}`;

export class SuiteProgress {
  private readonly logger: Logger | undefined;
  private readonly cellSeconds: number[] = [];
  private readonly evalSeconds: number[] = [];
  private index = -1;
  private label = '';
  private cellFields: LogFields = {};
  private cellStartedAt = 0;
  private phase: Phase = { kind: 'starting' };

  /**
   * `log` is the runner's log callback: a Logger's `line` gets structured events and progress lines; a plain
   * callback (a test's quiet collector) gets the event lines only.
   */
  constructor(
    private readonly log: (message: string) => void,
    /** Cells this run will compute (fewer when another run claims some: `skip`). */
    private total: number,
    private readonly now: () => number = Date.now,
  ) {
    this.logger = loggerOf(log);
  }

  /** Cells not yet ended, the current one included. */
  get cellsLeft(): number {
    return this.total - this.cellSeconds.length;
  }

  /** A cell another run computes: the suite ETA no longer counts it. */
  skip(): void {
    this.total--;
  }

  meanCellSeconds(): number | undefined {
    return mean(this.cellSeconds);
  }

  cellStart(index: number, label: string, fields: LogFields): void {
    this.index = index;
    this.label = label;
    this.cellFields = { ...fields, index: index + 1, of: this.total };
    this.cellStartedAt = this.now();
    this.phase = { kind: 'starting' };
    const suite = this.suiteSecondsLeft();
    const meanCell = this.meanCellSeconds();
    const why = meanCell === undefined ? '' : ` (${cells(this.cellsLeft)} at ${formatDuration(meanCell)} each)`;
    const msg = `${label}: start · suite ETA ${suite === undefined ? 'unknown' : formatDuration(suite)}${why}`;
    this.event('cell-start', msg, { suiteEta: seconds(suite) });
  }

  /** The listener for the cell's fits (`withTrainingProgress`). */
  readonly training = (p: TrainingProgress): void => {
    this.phase = { kind: 'training', p, at: this.now() };
    const epochEnd = p.step === p.steps;
    const msg = epochEnd ? `epoch ${p.epoch + 1}/${p.epochs} done` : describeTraining(p);
    const fields = { epoch: p.epoch + 1, epochs: p.epochs, step: p.step, steps: p.steps };
    if (epochEnd) this.event('epoch', this.withEtas(msg, 'training'), this.etaFields(fields));
    else this.progress('train-progress', this.withEtas(msg, 'training'), fields);
  };

  /** The evaluation's batch callback (`onEvalBatch`). */
  readonly evalBatch = (done: number, total: number): void => {
    const t = this.now();
    if (this.phase.kind !== 'evaluating') {
      // Evaluation began when training last reported (clean accuracy and the worker pool come first).
      const startedAt = this.phase.kind === 'training' ? this.phase.at : t;
      this.phase = { kind: 'evaluating', startedAt, firstAt: t, firstDone: done, done, total, at: t };
    } else {
      this.phase = { ...this.phase, done, total, at: t };
    }
    this.progress('eval-progress', this.withEtas(`evaluating (PGD) ${done}/${total}`, 'PGD'), { done, total });
  };

  cellEnd(end: CellEnd): void {
    this.cellSeconds.push(end.seconds);
    if (end.status === 'completed' && end.evalSeconds !== undefined) this.evalSeconds.push(end.evalSeconds);
    this.phase = { kind: 'starting' };
    const left = this.cellsLeft;
    const suite = left ? this.meanCellSeconds()! * left : 0;
    const tail = left ? ` · suite ETA ${formatDuration(suite)} (${cells(left)} left)` : '';
    const { status, seconds: s, trainSeconds, evalSeconds } = end;
    const fields = {
      ...end.fields,
      status,
      seconds: s,
      trainSeconds,
      evalSeconds,
      cellsLeft: left,
      suiteEta: seconds(suite),
    };
    this.event('cell-end', `${this.label}: ${end.msg}${tail}`, fields, status === 'failed' ? 'error' : 'info');
  }

  /** Seconds left in the phase in progress, from its own speed. */
  phaseSecondsLeft(): number | undefined {
    const ph = this.phase;
    if (ph.kind === 'training') return trainingSecondsLeft(ph.p);
    if (ph.kind !== 'evaluating' || ph.done <= ph.firstDone) return undefined;
    const perBatch = (ph.at - ph.firstAt) / 1000 / (ph.done - ph.firstDone);
    return perBatch * (ph.total - ph.done);
  }

  /** Seconds left in the cell: the phase's, plus an evaluation at this run's mean while training. */
  cellSecondsLeft(): number | undefined {
    const ph = this.phase;
    const meanEval = mean(this.evalSeconds);
    const phase = this.phaseSecondsLeft();
    if (ph.kind === 'training') return phase === undefined || meanEval === undefined ? undefined : phase + meanEval;
    if (ph.kind === 'evaluating') {
      if (meanEval === undefined) return undefined; // AutoAttack and corruptions follow PGD: no estimate yet
      return Math.max(meanEval - (this.now() - ph.startedAt) / 1000, phase ?? 0);
    }
    return this.meanCellLeft();
  }

  /** A cell at this run's mean time per cell, less the time this one has run. */
  private meanCellLeft(): number | undefined {
    const meanCell = this.meanCellSeconds();
    return meanCell === undefined ? undefined : Math.max(0, meanCell - (this.now() - this.cellStartedAt) / 1000);
  }

  /** Seconds left in the suite: this cell's, plus the cells after it at this run's mean. */
  suiteSecondsLeft(): number | undefined {
    const after = this.cellsLeft - 1;
    const meanCell = this.meanCellSeconds();
    if (this.index < 0 || (after > 0 && meanCell === undefined)) return undefined;
    const cell = this.cellSecondsLeft() ?? this.meanCellLeft();
    return cell === undefined ? undefined : cell + (meanCell ?? 0) * after;
  }

  private withEtas(msg: string, phaseName: string): string {
    const etas = `${phaseName} ${eta(this.phaseSecondsLeft())}, cell ${eta(this.cellSecondsLeft())}, suite ${eta(this.suiteSecondsLeft())}`;
    return `${this.label}: ${msg} · ETA ${etas}`;
  }

  private etaFields(fields: LogFields): LogFields {
    return {
      ...fields,
      phaseEta: seconds(this.phaseSecondsLeft()),
      cellEta: seconds(this.cellSecondsLeft()),
      suiteEta: seconds(this.suiteSecondsLeft()),
    };
  }

  private event(event: string, msg: string, fields: LogFields, level: 'info' | 'error' = 'info'): void {
    if (this.logger) this.logger.emit(level, event, msg, { ...this.cellFields, ...fields });
    else this.log(msg);
  }

  /** Progress lines need a Logger (a plain callback would get one line per step). */
  private progress(event: string, msg: string, fields: LogFields): void {
    this.logger?.progress(event, msg, { ...this.cellFields, ...this.etaFields(fields) });
  }
}
