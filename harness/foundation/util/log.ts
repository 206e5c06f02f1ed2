/**
 * @module The one logger of a command: every stderr line carries the time of day and the elapsed time since the
 * command started, as text or as JSON lines (`--log-format`). Progress (a training step, an evaluation batch)
 * is a transient line: rewritten in place on a terminal, otherwise printed at most once per interval so a CI
 * log stays short. Callers keep the `(message: string) => void` callback shape (`logger.line`).
 */
import { format as formatArgs } from 'node:util';

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];
export type LogLevel = 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

/** What a logger writes to: process.stderr, or a fake in tests. */
export interface LogStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface LoggerOptions {
  format?: LogFormat;
  stream?: LogStream;
  /** Milliseconds since the epoch; injectable so tests control time. */
  now?: () => number;
  /** Minimum milliseconds between progress lines that are not rewritten in place (default 30 s). */
  progressIntervalMs?: number;
  /** Minimum milliseconds between in-place rewrites on a terminal (default 200 ms). */
  rewriteIntervalMs?: number;
}

/** Keys every JSON line has; fields of the same name are dropped rather than overwrite them. */
const RESERVED = new Set(['t', 'elapsed', 'level', 'event', 'msg']);
/** Carriage return, then erase the whole line: the cursor is back at column 0 of an empty line. */
export const CLEAR_LINE = '\r\x1b[2K';

/** `H:MM:SS` for a duration in seconds. */
export function formatElapsed(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  return `${Math.floor(s / 3600)}:${mm}:${String(s % 60).padStart(2, '0')}`;
}

export class Logger {
  readonly format: LogFormat;
  readonly startedAt: number;
  /** The callback shape every `log` option takes: one info line. */
  readonly line: (message: string) => void;
  private readonly stream: LogStream;
  private readonly now: () => number;
  private readonly progressIntervalMs: number;
  private readonly rewriteIntervalMs: number;
  /** A progress line is on screen (terminal only) and must be cleared before anything else is written. */
  private showing = false;
  private lastProgressAt = -Infinity;

  constructor(opts: LoggerOptions = {}) {
    this.format = opts.format ?? 'text';
    this.stream = opts.stream ?? process.stderr;
    this.now = opts.now ?? Date.now;
    this.startedAt = this.now();
    this.progressIntervalMs = opts.progressIntervalMs ?? 30_000;
    this.rewriteIntervalMs = opts.rewriteIntervalMs ?? 200;
    this.line = (message) => this.info(message);
    LINES.set(this.line, this);
  }

  /** Progress is rewritten in place only for text on a terminal; JSON lines are never rewritten. */
  get rewritesInPlace(): boolean {
    return this.format === 'text' && this.stream.isTTY === true;
  }

  elapsedSeconds(): number {
    return (this.now() - this.startedAt) / 1000;
  }

  info(msg: string, event = 'log', fields?: LogFields): void {
    this.emit('info', event, msg, fields);
  }

  warn(msg: string, event = 'log', fields?: LogFields): void {
    this.emit('warn', event, msg, fields);
  }

  error(msg: string, event = 'log', fields?: LogFields): void {
    this.emit('error', event, msg, fields);
  }

  emit(level: LogLevel, event: string, msg: string, fields?: LogFields): void {
    this.clearProgress();
    this.stream.write(`${this.render(level, event, msg, fields)}\n`);
  }

  /**
   * A transient progress line. Returns whether it was written: on a terminal it replaces the previous one
   * (at most every `rewriteIntervalMs`), elsewhere it is a plain line at most every `progressIntervalMs`.
   */
  progress(event: string, msg: string, fields?: LogFields): boolean {
    const t = this.now();
    const inPlace = this.rewritesInPlace;
    if (t - this.lastProgressAt < (inPlace ? this.rewriteIntervalMs : this.progressIntervalMs)) return false;
    this.lastProgressAt = t;
    const text = this.render('info', event, msg, fields);
    if (!inPlace) {
      this.stream.write(`${text}\n`);
      return true;
    }
    // One screen row: a line wider than the terminal would wrap, and `\r` would rewrite only its last row. The
    // middle goes (the cell's label), so the time in front and the ETAs at the end stay. No size known: 120.
    const width = Math.max(20, (this.stream.columns || 120) - 1);
    const head = Math.floor((width - 1) / 2);
    const tail = width - 1 - head;
    const fitted = text.length > width ? `${text.slice(0, head)}…${text.slice(text.length - tail)}` : text;
    this.stream.write(`${CLEAR_LINE}${fitted}`);
    this.showing = true;
    return true;
  }

  /** Removes the progress line from the terminal, if one is showing. */
  clearProgress(): void {
    if (!this.showing) return;
    this.stream.write(CLEAR_LINE);
    this.showing = false;
  }

  /**
   * Routes console.error / console.warn (what every command and helper logs with) through this logger, and
   * clears the progress line before console.log writes to stdout. Returns the function that undoes it.
   */
  captureConsole(): () => void {
    const { error, warn, log } = console;
    console.error = (...args: unknown[]) => this.info(formatArgs(...args));
    console.warn = (...args: unknown[]) => this.warn(formatArgs(...args));
    console.log = (...args: unknown[]) => {
      this.clearProgress();
      log.apply(console, args);
    };
    return () => {
      Object.assign(console, { error, warn, log });
    };
  }

  private render(level: LogLevel, event: string, msg: string, fields?: LogFields): string {
    const t = this.now();
    const elapsed = (t - this.startedAt) / 1000;
    if (this.format === 'json') {
      const extra = Object.entries(fields ?? {}).filter(([k, v]) => !RESERVED.has(k) && v !== undefined);
      const iso = new Date(t).toISOString();
      return JSON.stringify({
        t: iso,
        elapsed: Number(elapsed.toFixed(3)),
        level,
        event,
        msg,
        ...Object.fromEntries(extra),
      });
    }
    const time = new Date(t).toISOString().slice(11, 19);
    const tag = level === 'error' ? 'ERROR ' : ''; // warnings already say so in their text
    return `${time}Z +${formatElapsed(elapsed)} ${tag}${msg}`;
  }
}

/** Which logger a `line` callback belongs to, so code handed only the callback can still log structured events. */
const LINES = new WeakMap<(message: string) => void, Logger>();

/** The logger behind a log callback, or undefined for a plain callback (a test's collector, a quiet no-op). */
export function loggerOf(log: (message: string) => void): Logger | undefined {
  return LINES.get(log);
}

let processWide: Logger | undefined;
let fallback: Logger | undefined;

/** The command's logger (set by the CLI from `--log-format`), else plain text on stderr. */
export function processLogger(): Logger {
  return processWide ?? (fallback ??= new Logger());
}

/** The logger the CLI set for this command, if any (library code and tests run without one). */
export function commandLogger(): Logger | undefined {
  return processWide;
}

export function setProcessLogger(logger: Logger | undefined): void {
  processWide = logger;
}
