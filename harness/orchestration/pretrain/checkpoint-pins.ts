/**
 * @module Trust on first use for checkpoints whose publisher gives no checksum: the sha256 of the first
 * copy is recorded in `<data>/sources/external/pins.json` (written atomically, under a lock so shards that
 * pin different URLs at once keep each other's pins) and every later use must match it.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeJsonAtomic } from '../../foundation/util/atomic-write.ts';
import { acquireFileLock } from '../../foundation/util/file-lock.ts';

export interface Pin {
  sha256: string;
  /** The copy's file name in the external folder. */
  file: string;
  bytes: number;
  pinnedAt: number;
}

interface PinFile {
  version: 1;
  /** By URL. */
  pins: Record<string, Pin>;
}

export function readPins(path: string): Record<string, Pin> {
  if (!existsSync(path)) return {};
  let parsed: PinFile;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as PinFile;
  } catch (err) {
    throw new Error(
      `${path}: not valid JSON (${(err as Error).message}); fix it or delete it to pin every checkpoint anew`,
    );
  }
  if (parsed?.version !== 1 || typeof parsed.pins !== 'object' || parsed.pins === null) {
    throw new Error(`${path}: expected { "version": 1, "pins": { <url>: { sha256, file, bytes, pinnedAt } } }`);
  }
  return parsed.pins;
}

/** Records a pin; an existing pin of the same URL is never replaced (the caller checked against it). */
export async function addPin(path: string, url: string, pin: Pin): Promise<Pin> {
  mkdirSync(dirname(path), { recursive: true });
  const lock = await acquireFileLock(`${path}.lock`);
  try {
    const pins = readPins(path);
    if (pins[url]) return pins[url];
    const next: PinFile = { version: 1, pins: { ...pins, [url]: pin } };
    writeJsonAtomic(path, next);
    return pin;
  } finally {
    lock.release();
  }
}
