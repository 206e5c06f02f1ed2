/**
 * The runner's progress events with an injected clock: the ETA of the phase (training steps, PGD batches), of
 * the cell (plus this run's mean evaluation time) and of the suite (plus this run's mean cell time per cell
 * left; unknown before a cell has ended), as JSON fields and in the text.
 */
import { describe, expect, it } from 'vitest';
import { SuiteProgress } from '../../../../harness/orchestration/run/suite-progress.ts';
import { Logger } from '../../../../harness/foundation/util/log.ts';

function setup(total: number) {
  let t = 1_000_000;
  const now = () => t;
  const chunks: string[] = [];
  const logger = new Logger({
    format: 'json',
    stream: { write: (s: string) => chunks.push(s) },
    now,
    progressIntervalMs: 0,
  });
  const progress = new SuiteProgress(logger.line, total, now);
  const events = () => chunks.map((c) => JSON.parse(c));
  return { progress, events, at: (seconds: number) => (t = 1_000_000 + seconds * 1000) };
}

describe('SuiteProgress', () => {
  it('measures each ETA from speed, and the suite from the mean of the cells ended in this run', () => {
    const { progress, events, at } = setup(3);
    const fields = { cell: 'c1', task: 't', method: 'm', seed: 0 };

    progress.cellStart(0, '[1/3] t · m · seed 0', fields);
    at(5);
    // 5 steps in 5 s, 15 left (this epoch's 5 and the next one's 10): 15 s of training left.
    progress.training({ epoch: 0, epochs: 2, step: 5, steps: 10, seconds: 5, stepsRun: 5 });
    at(10);
    progress.training({ epoch: 0, epochs: 2, step: 10, steps: 10, seconds: 10, stepsRun: 10 });
    at(22);
    progress.evalBatch(1, 4);
    at(24);
    progress.evalBatch(2, 4); // one batch in 2 s since the first, two left
    at(30);
    progress.cellEnd({ status: 'completed', msg: 'done in 30.0 s', seconds: 30, trainSeconds: 19, evalSeconds: 10 });

    let e = events();
    expect(e.map((x) => x.event)).toEqual([
      'cell-start',
      'train-progress',
      'epoch',
      'eval-progress',
      'eval-progress',
      'cell-end',
    ]);
    expect(e[0]).toMatchObject({
      ...fields,
      index: 1,
      of: 3,
      suiteEta: null,
      msg: '[1/3] t · m · seed 0: start · suite ETA unknown',
    });
    expect(e[1]).toMatchObject({
      epoch: 1,
      epochs: 2,
      step: 5,
      steps: 10,
      phaseEta: 15,
      cellEta: null,
      suiteEta: null,
    });
    expect(e[1].msg).toBe('[1/3] t · m · seed 0: training epoch 1/2, step 5/10 · ETA training 15s, cell ?, suite ?');
    expect(e[2]).toMatchObject({
      epoch: 1,
      phaseEta: 10,
      msg: '[1/3] t · m · seed 0: epoch 1/2 done · ETA training 10s, cell ?, suite ?',
    });
    expect(e[3]).toMatchObject({ done: 1, total: 4, phaseEta: null });
    expect(e[4]).toMatchObject({ done: 2, total: 4, phaseEta: 4, cellEta: null });
    expect(e[5]).toMatchObject({
      ...fields,
      status: 'completed',
      seconds: 30,
      evalSeconds: 10,
      cellsLeft: 2,
      suiteEta: 60,
      level: 'info',
    });
    expect(e[5].msg).toBe('[1/3] t · m · seed 0: done in 30.0 s · suite ETA 1m00s (2 cells left)');

    progress.cellStart(1, '[2/3] t · n · seed 0', { ...fields, cell: 'c2' });
    at(40);
    // 4 of 8 steps in 8 s: 8 s of training, then this run's mean evaluation (10 s), then one cell of 30 s.
    progress.training({ epoch: 0, epochs: 1, step: 4, steps: 8, seconds: 8, stepsRun: 4 });
    at(50);
    progress.evalBatch(1, 4);
    at(52);
    // Evaluation began when training last reported (t=40): 12 s of a 10 s mean are over, PGD alone needs 4 s more.
    progress.evalBatch(2, 4);
    expect(progress.cellSecondsLeft()).toBe(4);
    progress.skip(); // another run took the third cell: nothing after this one
    expect(progress.suiteSecondsLeft()).toBe(4);
    at(60);
    progress.cellEnd({ status: 'failed', msg: 'FAILED: diverged', seconds: 20, fields: { error: 'diverged' } });

    e = events().slice(6);
    expect(e[0]).toMatchObject({
      event: 'cell-start',
      cell: 'c2',
      suiteEta: 60,
      msg: '[2/3] t · n · seed 0: start · suite ETA 1m00s (2 cells at 30s each)',
    });
    expect(e[1]).toMatchObject({ event: 'train-progress', phaseEta: 8, cellEta: 18, suiteEta: 48 });
    expect(e[3]).toMatchObject({ event: 'eval-progress', phaseEta: 4, cellEta: 4, suiteEta: 34 });
    expect(e[4]).toMatchObject({
      event: 'cell-end',
      level: 'error',
      status: 'failed',
      error: 'diverged',
      cellsLeft: 0,
      suiteEta: 0,
    });
    expect(e[4].msg).toBe('[2/3] t · n · seed 0: FAILED: diverged');
    expect(progress.meanCellSeconds()).toBe(25);
  });

  it('while no cell has ended, the last cell of a run still gets an ETA from its own progress only when it can', () => {
    const { progress, at } = setup(1);
    progress.cellStart(0, '[1/1] t · m · seed 0', {});
    expect(progress.suiteSecondsLeft()).toBeUndefined();
    at(2);
    progress.evalBatch(1, 3);
    at(3);
    progress.evalBatch(2, 3);
    expect(progress.phaseSecondsLeft()).toBe(1);
    // AutoAttack and corruptions follow PGD and no evaluation has been timed yet: no cell estimate.
    expect(progress.cellSecondsLeft()).toBeUndefined();
  });

  it('with a plain log callback, prints the event lines and no progress lines', () => {
    const lines: string[] = [];
    const progress = new SuiteProgress(
      (m) => lines.push(m),
      1,
      () => 0,
    );
    progress.cellStart(0, '[1/1] t · m · seed 0', {});
    progress.training({ epoch: 0, epochs: 1, step: 1, steps: 2, seconds: 1, stepsRun: 1 });
    progress.training({ epoch: 0, epochs: 1, step: 2, steps: 2, seconds: 2, stepsRun: 2 });
    progress.evalBatch(1, 2);
    progress.cellEnd({ status: 'completed', msg: 'done in 3.0 s', seconds: 3, evalSeconds: 1 });
    expect(lines).toEqual([
      '[1/1] t · m · seed 0: start · suite ETA unknown',
      '[1/1] t · m · seed 0: epoch 1/1 done · ETA training 0s, cell ?, suite ?',
      '[1/1] t · m · seed 0: done in 3.0 s',
    ]);
  });
});
