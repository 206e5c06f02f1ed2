/**
 * @module Verified downloads that finish. Bytes go to `<dest>.partial` (kept across retries and across
 * process restarts, resumed with an HTTP Range request); a stalled or dropped connection is retried with
 * exponential backoff; the checksum is checked over the whole file at the end, and only then is the
 * file renamed into place. A corrupt download is never used and never left behind. Proxies come from
 * HTTPS_PROXY / HTTP_PROXY / NO_PROXY (see http-get.ts).
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { acquireFileLock } from '../harness/foundation/util/file-lock.ts';
import { WriteError } from '../harness/foundation/util/fs-error.ts';
import { downloadProgress, formatBytes, type Progress } from './download-progress.ts';
import { httpGet } from './http-get.ts';

export interface Checksum {
  algorithm: 'md5' | 'sha256';
  hex: string;
  /** Checksum of the gunzipped bytes instead of the file's (Debian re-gzips upstream files). */
  ofDecompressed?: boolean;
}

export class ChecksumError extends Error {
  override name = 'ChecksumError';
}

export function digest(bytes: Uint8Array, algorithm: Checksum['algorithm']): string {
  return createHash(algorithm).update(bytes).digest('hex');
}

/** Throws a ChecksumError naming `what`, the expected and the actual checksum. */
export function verifyChecksum(
  bytes: Uint8Array,
  expected: Checksum,
  what: string,
  decompress?: (b: Uint8Array) => Uint8Array,
): void {
  const data = expected.ofDecompressed && decompress ? decompress(bytes) : bytes;
  const actual = digest(data, expected.algorithm);
  if (actual !== expected.hex) {
    throw new ChecksumError(
      `${what}: ${expected.algorithm}${expected.ofDecompressed ? ' of the decompressed bytes' : ''} is ${actual}, expected ${expected.hex}`,
    );
  }
}

/** Checksum of a file on disk, streamed (the CIFAR-C archives are gigabytes). */
export async function fileDigest(file: string, algorithm: Checksum['algorithm']): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface DownloadOptions {
  /** Progress and retry lines, e.g. `console.error`. */
  log?: (line: string) => void;
  /** Default $RFTBENCH_CONNECT_TIMEOUT seconds, else 30 s. */
  connectTimeoutMs?: number;
  /** No byte for this long (waiting for headers or mid-body) aborts the attempt. Default $RFTBENCH_IDLE_TIMEOUT s, else 60 s. */
  idleTimeoutMs?: number;
  /** Attempts after the first. Default $RFTBENCH_DOWNLOAD_RETRIES, else 6. */
  retries?: number;
  /** Milliseconds to wait before retry number `attempt` (1-based); default backoffDelayMs. */
  retryDelayMs?: (attempt: number) => number;
  /** Where the proxy variables are read (default process.env). */
  env?: Record<string, string | undefined>;
  /** Extra trusted CA certificates (PEM) for https. */
  ca?: string | Buffer;
  /** Milliseconds between progress lines (see download-progress.ts). */
  progressIntervalMs?: number;
}

/** A fixed jitter schedule: retries of many nodes spread out, yet every run waits the same. */
const JITTER = [1, 0.8, 1.2, 0.9, 1.1, 0.85, 1.15];

/** 1 s, 2 s, 4 s … (times a fixed jitter), at most `capMs`. */
export function backoffDelayMs(attempt: number, baseMs = 1000, capMs = 60_000): number {
  return Math.min(capMs, Math.round(baseMs * 2 ** (attempt - 1) * JITTER[(attempt - 1) % JITTER.length]));
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name}='${raw}' is not a non-negative number`);
  return v;
}

/** An attempt that failed for good (a 404, a full disk): retrying cannot help. */
class FatalDownloadError extends Error {}

const RETRIABLE_STATUS = new Set([408, 425, 429]);

interface Attempt {
  url: string;
  partial: string;
  opts: Required<Pick<DownloadOptions, 'connectTimeoutMs' | 'idleTimeoutMs'>> & DownloadOptions;
  progress?: Progress;
  /** Called while bytes flow, so a lock on the partial file stays fresh. */
  alive: () => void;
}

const sizeOf = (path: string) => (existsSync(path) ? statSync(path).size : 0);

/**
 * One attempt: resumes `partial` from its current size. Returns when the server's whole file is in
 * `partial`; throws a FatalDownloadError or a retriable Error.
 */
async function attemptOnce({ url, partial, opts, progress, alive }: Attempt): Promise<void> {
  let have = sizeOf(partial);
  const res = await httpGet(url, {
    headers: have > 0 ? { range: `bytes=${have}-` } : {},
    connectTimeoutMs: opts.connectTimeoutMs,
    idleTimeoutMs: opts.idleTimeoutMs,
    env: opts.env,
    ca: opts.ca,
  });
  let total: number | undefined;
  if (res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== have) {
      res.body.destroy();
      rmSync(partial, { force: true }); // an answer we cannot splice onto what we have: start over
      throw new Error(
        `the server answered Range bytes=${have}- with Content-Range '${res.headers['content-range'] ?? ''}'`,
      );
    }
    total = m[3] === '*' ? undefined : Number(m[3]);
  } else if (res.status === 416 && have > 0) {
    res.body.resume();
    const whole = /^bytes \*\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
    if (whole && Number(whole[1]) === have) return; // the partial file already holds every byte
    rmSync(partial, { force: true });
    throw new Error(`the server cannot resume at byte ${have} (HTTP 416)`);
  } else if (res.status === 200) {
    if (have > 0) opts.log?.(`  ${url}: the server ignored the Range request; downloading from the start`);
    have = 0;
    const len = Number(res.headers['content-length'] ?? NaN);
    total = Number.isFinite(len) ? len : undefined;
  } else {
    res.body.resume();
    const msg = `HTTP ${res.status} ${res.statusText}`.trim();
    if (res.status >= 400 && res.status < 500 && !RETRIABLE_STATUS.has(res.status)) throw new FatalDownloadError(msg);
    throw new Error(msg);
  }
  if (have > 0) opts.log?.(`  ${url}: resuming at ${formatBytes(have)}`);
  let fd: number;
  try {
    fd = openSync(partial, have > 0 ? 'a' : 'w');
  } catch (err) {
    res.body.destroy();
    throw new FatalDownloadError(new WriteError(partial, err).message);
  }
  let received = have;
  try {
    try {
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        try {
          writeSync(fd, chunk);
        } catch (err) {
          res.body.destroy();
          throw new FatalDownloadError(new WriteError(partial, err).message);
        }
        received += chunk.length;
        progress?.update(received, total);
        alive();
      }
    } catch (err) {
      if (err instanceof FatalDownloadError) throw err;
      const of = total ? ` of ${formatBytes(total)}` : '';
      throw new Error(`connection failed at ${formatBytes(received)}${of} (${(err as Error).message})`);
    }
    if (total !== undefined && received !== total) {
      throw new Error(`the connection closed at ${received} of ${total} bytes`);
    }
    try {
      fsyncSync(fd);
    } catch (err) {
      throw new FatalDownloadError(new WriteError(partial, err).message);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Downloads `url` into `<dest>.partial` (resuming, retrying), runs `verify` on it, then renames it to
 * `dest`. A failed verification deletes the partial file. One process at a time works on a partial file;
 * a process that waited for another finds `dest` already there and returns.
 */
export async function downloadResumable(
  url: string,
  dest: string,
  verify: (file: string) => Promise<void>,
  options: DownloadOptions,
): Promise<void> {
  const opts = {
    ...options,
    connectTimeoutMs: options.connectTimeoutMs ?? envNumber('RFTBENCH_CONNECT_TIMEOUT', 30) * 1000,
    idleTimeoutMs: options.idleTimeoutMs ?? envNumber('RFTBENCH_IDLE_TIMEOUT', 60) * 1000,
  };
  const retries = options.retries ?? envNumber('RFTBENCH_DOWNLOAD_RETRIES', 6);
  const delay = options.retryDelayMs ?? ((a: number) => backoffDelayMs(a));
  mkdirSync(dirname(dest), { recursive: true });
  const partial = `${dest}.partial`;
  const lock = await acquireFileLock(`${partial}.lock`, {
    onWait: (holder) => opts.log?.(`  ${url}: another process (${holder}) is downloading ${dest}; waiting`),
  });
  try {
    if (lock.waited && existsSync(dest)) return;
    const progress = opts.log
      ? downloadProgress(url, { log: opts.log, intervalMs: opts.progressIntervalMs })
      : undefined;
    let lastRefresh = 0;
    const alive = () => {
      if (Date.now() - lastRefresh > 10_000) (lastRefresh = Date.now()), lock.refresh();
    };
    for (let attempt = 0; ; attempt++) {
      try {
        await attemptOnce({ url, partial, opts, progress, alive });
        break;
      } catch (err) {
        const msg = (err as Error).message;
        if (err instanceof FatalDownloadError) throw new Error(`download ${url}: ${msg}`);
        if (attempt >= retries) {
          const kept = `${formatBytes(sizeOf(partial))} kept in ${partial} for the next try`;
          throw new Error(`download ${url}: ${msg} (gave up after ${attempt + 1} attempts; ${kept})`);
        }
        const wait = delay(attempt + 1);
        opts.log?.(`  ${url}: ${msg}; retry ${attempt + 1} of ${retries} in ${(wait / 1000).toFixed(1)} s`);
        lock.refresh();
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    progress?.done(sizeOf(partial));
    try {
      await verify(partial);
    } catch (err) {
      rmSync(partial, { force: true });
      throw err;
    }
    renameSync(partial, dest);
  } finally {
    lock.release();
  }
}

/** Downloads `url` to `dest` (verified, resumable) and returns its bytes. For files small enough to hold in memory. */
export async function downloadVerified(
  url: string,
  dest: string,
  checksum: Checksum,
  { decompress, ...opts }: DownloadOptions & { decompress?: (b: Uint8Array) => Uint8Array } = {},
): Promise<Uint8Array> {
  const check = (file: string) => verifyChecksum(readFileSync(file), checksum, `download ${url}`, decompress);
  await downloadResumable(url, dest, async (file) => check(file), opts);
  const bytes = new Uint8Array(readFileSync(dest));
  verifyChecksum(bytes, checksum, `download ${url}`, decompress); // also when another process wrote it
  return bytes;
}

/** Streams `url` to `dest` (verified, resumable): for archives too large to hold in memory. */
export async function downloadToFile(
  url: string,
  dest: string,
  checksum: Checksum,
  opts: DownloadOptions = {},
): Promise<void> {
  await downloadResumable(
    url,
    dest,
    async (file) => {
      const actual = await fileDigest(file, checksum.algorithm);
      if (actual !== checksum.hex)
        throw new ChecksumError(`download ${url}: ${checksum.algorithm} is ${actual}, expected ${checksum.hex}`);
    },
    opts,
  );
}
