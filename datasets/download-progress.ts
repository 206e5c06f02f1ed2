/**
 * @module Progress of a download as plain log lines: bytes so far, rate and ETA, at most one line per
 * interval (often on a terminal, rarely in a batch job's log file) and one at the end.
 */

export interface ProgressOptions {
  log: (line: string) => void;
  /** Milliseconds between lines (default: 2 s on a terminal, 30 s otherwise). */
  intervalMs?: number;
  now?: () => number;
}

export function formatBytes(n: number): string {
  if (n < 1e3) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  if (n < 1e9) return `${(n / 1e6).toFixed(1)} MB`;
  return `${(n / 1e9).toFixed(2)} GB`;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.ceil(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export interface Progress {
  /** `received` counts every byte of the file so far, including a resumed prefix. */
  update(received: number, total: number | undefined): void;
  done(received: number): void;
}

export function downloadProgress(url: string, opts: ProgressOptions): Progress {
  const now = opts.now ?? Date.now;
  const intervalMs = opts.intervalMs ?? (process.stderr.isTTY ? 2000 : 30_000);
  const started = now();
  let firstReceived: number | undefined; // the rate counts only this call's bytes, not a resumed prefix
  let lastLine = started;
  const rate = (received: number) => (received - (firstReceived ?? 0)) / Math.max((now() - started) / 1000, 1e-3);
  return {
    update(received, total) {
      firstReceived ??= received;
      if (now() - lastLine < intervalMs) return;
      lastLine = now();
      const r = rate(received);
      const of = total ? ` of ${formatBytes(total)} (${Math.floor((100 * received) / total)}%)` : '';
      const eta = total && r > 0 ? `, ETA ${formatDuration((total - received) / r)}` : '';
      opts.log(`  ${url}: ${formatBytes(received)}${of}, ${formatBytes(Math.round(r))}/s${eta}`);
    },
    done(received) {
      opts.log(`  ${url}: ${formatBytes(received)} in ${formatDuration((now() - started) / 1000)}`);
    },
  };
}
