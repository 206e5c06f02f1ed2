/**
 * @module Verified downloads: bytes go to a temporary file beside the destination, the checksum is
 * checked, and only then is the file renamed into place. A partial or corrupt download is never used
 * and never left behind.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

export async function downloadVerified(
  url: string,
  dest: string,
  checksum: Checksum,
  { decompress, fetchImpl = fetch }: { decompress?: (b: Uint8Array) => Uint8Array; fetchImpl?: typeof fetch } = {},
): Promise<Uint8Array> {
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${process.pid}-${Date.now()}`;
  try {
    let res: Response;
    try {
      res = await fetchImpl(url);
    } catch (err) {
      throw new Error(`download ${url}: ${(err as Error).message}`);
    }
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
