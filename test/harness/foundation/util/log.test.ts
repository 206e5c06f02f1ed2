/**
 * The logger on a fake stream with an injected clock: text lines carry the time of day and the elapsed time,
 * JSON lines parse and carry their fields; progress is throttled when not on a terminal and rewritten in place
 * (then cleared before any other line) on one.
 */
import { describe, expect, it } from 'vitest';
import {
  CLEAR_LINE,
  formatElapsed,
  Logger,
  loggerOf,
  type LogStream,
} from '../../../../harness/foundation/util/log.ts';

class FakeStream implements LogStream {
  chunks: string[] = [];
  constructor(
    readonly isTTY = false,
    readonly columns = 80,
  ) {}
  write(chunk: string) {
    this.chunks.push(chunk);
    return true;
  }
  get text() {
    return this.chunks.join('');
  }
}

/** A clock the test moves by hand, starting at 2024-05-06T07:08:09.000Z. */
function clock() {
  let t = Date.UTC(2024, 4, 6, 7, 8, 9);
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('Logger, text', () => {
  it('prefixes every line with the UTC time of day and the elapsed time since it was made', () => {
    const c = clock();
    const out = new FakeStream();
    const logger = new Logger({ stream: out, now: c.now });
    logger.line('first');
    c.advance(3_725_400); // 1 h 2 min 5.4 s
    logger.info('second');
    logger.error('broken');
    expect(out.text).toBe('07:08:09Z +0:00:00 first\n08:10:14Z +1:02:05 second\n08:10:14Z +1:02:05 ERROR broken\n');
    expect(logger.elapsedSeconds()).toBeCloseTo(3725.4, 6);
  });

  it('formats elapsed times as H:MM:SS', () => {
    expect(formatElapsed(0)).toBe('0:00:00');
    expect(formatElapsed(59.9)).toBe('0:00:59');
    expect(formatElapsed(3600 * 27 + 61)).toBe('27:01:01');
  });

  it('off a terminal, prints at most one progress line per interval, as a plain line', () => {
    const c = clock();
    const out = new FakeStream(false);
    const logger = new Logger({ stream: out, now: c.now, progressIntervalMs: 30_000 });
    expect(logger.progress('train-progress', 'step 1')).toBe(true);
    c.advance(29_999);
    expect(logger.progress('train-progress', 'step 2')).toBe(false);
    logger.info('a normal line is never held back');
    c.advance(1);
    expect(logger.progress('train-progress', 'step 3')).toBe(true);
    expect(out.chunks).toEqual([
      '07:08:09Z +0:00:00 step 1\n',
      '07:08:38Z +0:00:29 a normal line is never held back\n',
      '07:08:39Z +0:00:30 step 3\n',
    ]);
    expect(out.text).not.toContain('\r');
  });

  it('on a terminal, rewrites one progress line in place and clears it before a normal line', () => {
    const c = clock();
    const out = new FakeStream(true, 40);
    const logger = new Logger({ stream: out, now: c.now, rewriteIntervalMs: 100 });
    logger.progress('p', 'step 1');
    c.advance(50);
    expect(logger.progress('p', 'step 2')).toBe(false); // too soon to redraw
    c.advance(50);
    logger.progress('p', 'step 3 of a very long progress message that would wrap');
    logger.info('done');
    logger.clearProgress(); // nothing showing: writes nothing
    expect(out.chunks).toEqual([
      `${CLEAR_LINE}07:08:09Z +0:00:00 step 1`,
      // 39 columns at most (one short of the terminal's width), so it never wraps; the middle goes.
      `${CLEAR_LINE}07:08:09Z +0:00:00 …age that would wrap`,
      CLEAR_LINE,
      '07:08:09Z +0:00:00 done\n',
    ]);
  });

  it('takes over console.error/warn and clears the progress line before console.log, until restored', () => {
    const out = new FakeStream(true);
    const logger = new Logger({ stream: out, now: clock().now });
    const { error, warn, log } = console;
    // console.log keeps its own target (stdout): a collector stands in for it, to see the order of writes.
    console.log = (s: string) => out.write(`stdout:${s}\n`);
    const stdoutLog = console.log;
    const restore = logger.captureConsole();
    try {
      console.error('count %d of %s', 3, 'x');
      console.warn('careful');
      logger.progress('p', 'working');
      console.log('table');
    } finally {
      restore();
      expect(console.log).toBe(stdoutLog);
      Object.assign(console, { error, warn, log });
    }
    expect(out.chunks).toEqual([
      '07:08:09Z +0:00:00 count 3 of x\n',
      '07:08:09Z +0:00:00 careful\n',
      `${CLEAR_LINE}07:08:09Z +0:00:00 working`,
      CLEAR_LINE,
      'stdout:table\n',
    ]);
  });

  it('finds the logger behind its line callback, and none behind a plain function', () => {
    const logger = new Logger({ stream: new FakeStream() });
    expect(loggerOf(logger.line)).toBe(logger);
    expect(loggerOf(() => {})).toBeUndefined();
  });
});

describe('Logger, JSON', () => {
  it('writes one parseable object per line: t, elapsed, level, event, msg and the fields', () => {
    const c = clock();
    const out = new FakeStream(true); // JSON is never rewritten in place, even on a terminal
    const logger = new Logger({ format: 'json', stream: out, now: c.now, progressIntervalMs: 10_000 });
    logger.line('multi\nline "quoted"');
    c.advance(1500);
    logger.info('cell 1 started', 'cell-start', {
      cell: 'abc',
      seed: 0,
      skip: undefined,
      msg: 'not allowed to replace msg',
    });
    logger.warn('careful');
    logger.progress('eval-progress', 'batch 1/4', { done: 1, total: 4 });
    c.advance(9_999);
    logger.progress('eval-progress', 'batch 2/4', { done: 2, total: 4 });
    const lines = out.text.split('\n');
    expect(lines.pop()).toBe('');
    const objs = lines.map((l) => JSON.parse(l));
    expect(objs).toEqual([
      { t: '2024-05-06T07:08:09.000Z', elapsed: 0, level: 'info', event: 'log', msg: 'multi\nline "quoted"' },
      {
        t: '2024-05-06T07:08:10.500Z',
        elapsed: 1.5,
        level: 'info',
        event: 'cell-start',
        msg: 'cell 1 started',
        cell: 'abc',
        seed: 0,
      },
      { t: '2024-05-06T07:08:10.500Z', elapsed: 1.5, level: 'warn', event: 'log', msg: 'careful' },
      {
        t: '2024-05-06T07:08:10.500Z',
        elapsed: 1.5,
        level: 'info',
        event: 'eval-progress',
        msg: 'batch 1/4',
        done: 1,
        total: 4,
      },
    ]);
    expect(out.text).not.toContain('\r');
  });
});
