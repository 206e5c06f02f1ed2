/**
 * @module Verified downloads: bytes go to a temporary file beside the destination, the checksum is
 * checked, and only then is the file renamed into place. A partial or corrupt download is never used
 * and never left behind.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

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
export function verifyChecksum(bytes: Uint8Array, expected: Checksum, what: string, decompress?: (b: Uint8Array) => Uint8Array): void {
  const data = expected.ofDecompressed && decompress ? decompress(bytes) : bytes;
  const actual = digest(data, expected.algorithm);
  if (actual !== expected.hex) {
    throw new ChecksumError(`${what}: ${expected.algorithm}${expected.ofDecompressed ? ' of the decompressed bytes' : ''} is ${actual}, expected ${expected.hex}`);
  }
}

/** fetch(url), with a network failure reported as a download error naming the URL. */
async function fetchOrFail(url: string, fetchImpl: typeof fetch): Promise<Response> {
  try {
    return await fetchImpl(url);
  } catch (err) {
    throw new Error(`download ${url}: ${(err as Error).message}`);
  }
}

export async function downloadVerified(
  url: string,
  dest: string,
  checksum: Checksum,
  { decompress, fetchImpl = fetch }: { decompress?: (b: Uint8Array) => Uint8Array; fetchImpl?: typeof fetch } = {},
): Promise<Uint8Array> {
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${process.pid}-${Date.now()}`;
  try {
    const res = await fetchOrFail(url, fetchImpl);
    if (!res.ok) throw new Error(`download ${url}: HTTP ${res.status} ${res.statusText}`);
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await res.arrayBuffer());
    } catch (err) {
      throw new Error(`download ${url}: connection failed mid-transfer (${(err as Error).message})`);
    }
    const expectedLength = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(expectedLength) && expectedLength !== bytes.length) {
      throw new Error(`download ${url}: got ${bytes.length} bytes, the server announced ${expectedLength}`);
    }
    verifyChecksum(bytes, checksum, `download ${url}`, decompress);
    writeFileSync(tmp, bytes, { flush: true });
    renameSync(tmp, dest);
    return bytes;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Checksum of a file on disk, streamed (the CIFAR-C archives are gigabytes). */
export async function fileDigest(file: string, algorithm: Checksum['algorithm']): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface StreamDownloadOptions {
  fetchImpl?: typeof fetch;
  /** Progress lines (every ~10%), e.g. `console.error`. */
  log?: (line: string) => void;
}

/**
 * Streams `url` to a temporary file beside `dest` while hashing it, checks the checksum, then renames
 * into place. For archives too large to hold in memory; the temporary file is removed on any failure.
 */
export async function downloadToFile(url: string, dest: string, checksum: Checksum, { fetchImpl = fetch, log }: StreamDownloadOptions = {}): Promise<void> {
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${process.pid}-${Date.now()}`;
  let fd: number | undefined;
  try {
    const res = await fetchOrFail(url, fetchImpl);
    if (!res.ok || !res.body) throw new Error(`download ${url}: HTTP ${res.status} ${res.statusText}`);
    const expectedLength = Number(res.headers.get('content-length') ?? NaN);
    const hash = createHash(checksum.algorithm);
    fd = openSync(tmp, 'w');
    let received = 0;
    let nextReport = 0.1;
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        hash.update(chunk);
        writeSync(fd, chunk);
        received += chunk.length;
        if (log && Number.isFinite(expectedLength) && received / expectedLength >= nextReport) {
          log(`  ${url}: ${Math.floor((100 * received) / expectedLength)}% of ${(expectedLength / 1e6).toFixed(1)} MB`);
          nextReport += 0.1;
        }
      }
    } catch (err) {
      throw new Error(`download ${url}: connection failed mid-transfer (${(err as Error).message})`);
    }
    if (Number.isFinite(expectedLength) && expectedLength !== received) {
      throw new Error(`download ${url}: got ${received} bytes, the server announced ${expectedLength}`);
    }
    const actual = hash.digest('hex');
    if (actual !== checksum.hex) throw new ChecksumError(`download ${url}: ${checksum.algorithm} is ${actual}, expected ${checksum.hex}`);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, dest);
  } finally {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
  }
}
