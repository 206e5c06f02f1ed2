/**
 * A full disk never costs what was stored before: a failed atomic write (checkpoint, cache entry, record
 * file) leaves the previous file byte for byte and no temporary file, a failed SQLite write leaves every
 * earlier record readable, and each error names the path and the cause. ENOSPC is injected through the
 * helper's fs everywhere, and is real on a 4 MB tmpfs where the tests run as root.
 */
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCachedSplit, writeCachedSplit, type CacheKey } from '../../../../datasets/split-cache.ts';
import { saveCheckpoint } from '../../../../harness/foundation/checkpoint/checkpoint.ts';
import type { ModelSpec } from '../../../../harness/foundation/models/classifier.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { writeFileAtomic, writeFilesAtomic, type AtomicFs } from '../../../../harness/foundation/util/atomic-write.ts';
import { WriteError } from '../../../../harness/foundation/util/fs-error.ts';
import { Store, type NewCell } from '../../../../results/store.ts';
import { fsError, mountSmallDisk, type SmallDisk } from '../../../support/small-disk.ts';
import { useCpuBackend } from '../../../support/tf.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-full-'));
const disk: SmallDisk | undefined = mountSmallDisk(4096);
beforeAll(useCpuBackend);
afterAll(() => {
  disk?.unmount();
  rmSync(dir, { recursive: true, force: true });
});

/** node:fs, except that writes fail with ENOSPC once `budget` bytes have been written. */
function fullAfter(budget: number): AtomicFs {
  let left = budget;
  return {
    ...fs,
    writeSync: ((fd: number, buf: Uint8Array, off?: number, len?: number) => {
      if (left <= 0) throw fsError('ENOSPC', 'write', 'no space left on device');
      const start = off ?? 0;
      const n = fs.writeSync(fd, buf, start, Math.min(len ?? buf.byteLength - start, left));
      left -= n;
      return n;
    }) as AtomicFs['writeSync'],
  };
}

/** Fills the rest of a file system with one file (removed by the caller). */
function fillUp(folder: string): string {
  const filler = join(folder, 'filler');
  const fd = fs.openSync(filler, 'w');
  try {
    const block = Buffer.alloc(4096, 1);
    for (;;) fs.writeSync(fd, block);
  } catch (err) {
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    fs.closeSync(fd);
  }
  return filler;
}

const ENOSPC_WORDS = /no space left on the device \(ENOSPC\)/;

describe('the atomic write helper', () => {
  it('an injected ENOSPC mid-file keeps the previous file, removes the temporary one, names path and cause', () => {
    const path = join(dir, 'inject', 'state.json');
    writeFileAtomic(path, 'previous contents\n');
    const err = (() => {
      try {
        writeFileAtomic(path, 'x'.repeat(10_000), { fs: fullAfter(4096) });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(WriteError);
    expect((err as Error).message).toMatch(
      new RegExp(`^cannot write ${path}: no space left on the device \\(ENOSPC\\)`),
    );
    expect(readFileSync(path, 'utf8')).toBe('previous contents\n');
    expect(readdirSync(join(dir, 'inject'))).toEqual(['state.json']);
  });

  it('several files land together or not at all; a failure names the file that failed', () => {
    const a = join(dir, 'pair', 'a.bin');
    const b = join(dir, 'pair', 'b.json');
    writeFilesAtomic([
      { path: a, data: new Uint8Array([1, 2, 3]) },
      { path: b, data: '{"v":1}' },
    ]);
    let beforeRename = 0;
    expect(() =>
      writeFilesAtomic(
        [
          { path: a, data: [new Uint8Array(3000), new Uint8Array(3000)] },
          { path: b, data: '{"v":2}' },
        ],
        {
          fs: fullAfter(5000),
          beforeRename: () => beforeRename++,
        },
      ),
    ).toThrow(`cannot write ${a}: no space left`);
    expect(beforeRename).toBe(0);
    expect([...readFileSync(a)]).toEqual([1, 2, 3]);
    expect(readFileSync(b, 'utf8')).toBe('{"v":1}');
    expect(readdirSync(join(dir, 'pair')).sort()).toEqual(['a.bin', 'b.json']);
  });

  it.runIf(disk)('on a real full tmpfs: the previous file stays, byte for byte', () => {
    const folder = join(disk!.dir, 'plain');
    const path = join(folder, 'record.json');
    writeFileAtomic(path, 'kept\n');
    const filler = fillUp(disk!.dir);
    try {
      expect(() => writeFileAtomic(path, 'y'.repeat(64_000))).toThrow(
        new RegExp(`^cannot write ${path}: ${ENOSPC_WORDS.source}`),
      );
      expect(readFileSync(path, 'utf8')).toBe('kept\n');
      expect(readdirSync(folder)).toEqual(['record.json']);
    } finally {
      rmSync(filler);
    }
  });
});

describe('what the harness writes', () => {
  const spec: ModelSpec = { arch: 'small-resnet', numClasses: 4, inputShape: [8, 8, 1], mean: [0.5], std: [0.25] };

  it.runIf(disk)('a checkpoint that cannot be written leaves the previous checkpoint byte-identical', () => {
    const path = join(disk!.dir, 'ckpt', 'model.safetensors');
    saveCheckpoint(path, buildModel(spec, 1), { note: 'first' });
    const before = readFileSync(path);
    const filler = fillUp(disk!.dir);
    try {
      expect(() => saveCheckpoint(path, buildModel(spec, 2), { note: 'second' })).toThrow(
        new RegExp(`^cannot write ${path}: ${ENOSPC_WORDS.source}`),
      );
      expect(readFileSync(path).equals(before)).toBe(true);
      expect(readdirSync(join(disk!.dir, 'ckpt'))).toEqual(['model.safetensors']);
    } finally {
      rmSync(filler);
    }
  });

  it.runIf(disk)('a cache entry that cannot be written leaves the previous entry readable', () => {
    const key: CacheKey = { folder: join(disk!.dir, 'ds'), version: 'v1', split: 'train' };
    const small = {
      images: new Uint8Array(64).fill(7),
      labels: new Int32Array([0, 1]),
      n: 2,
      shape: [4, 4, 2] as const,
    };
    writeCachedSplit(key, small, []);
    const filler = fillUp(disk!.dir);
    try {
      const big = { images: new Uint8Array(200_000), labels: new Int32Array(2), n: 2, shape: [100, 100, 10] as const };
      expect(() => writeCachedSplit(key, big, [])).toThrow(
        /^cannot write .*ds\/cache\/v1\/train\.u8: no space left on the device \(ENOSPC\)/,
      );
    } finally {
      rmSync(filler);
    }
    const hit = readCachedSplit(key);
    expect(hit && [...hit.images]).toEqual([...small.images]);
    expect(readdirSync(join(disk!.dir, 'ds', 'cache', 'v1')).sort()).toEqual(['train.json', 'train.u8']);
  });
});

describe('the results store', () => {
  const run = {
    id: 'r1',
    suite: 's',
    tier: 'smoke',
    command: 'rftbench run',
    startedAt: 1,
    status: 'running' as const,
    commit: 'c',
    backend: 'cpu',
    environment: {},
  };
  const cell = (id: string, artifacts: Record<string, unknown> = {}): NewCell => ({
    id,
    suite: 's',
    tier: 'smoke',
    taskId: 't',
    methodId: 'm',
    seed: 0,
    status: 'completed',
    runId: 'r1',
    spec: {},
    provenance: {},
    artifacts,
    startedAt: 1,
    finishedAt: 2,
    trainSeconds: 0,
    evalSeconds: 0,
  });
  const metric = { name: 'clean', value: 0.5, n: 10, ciLow: 0.2, ciHigh: 0.8, details: {} };

  it('SQLITE_FULL (the database reached its page limit): the error names the db, earlier records stay readable', () => {
    const path = join(dir, 'limited.db');
    const store = Store.open(path);
    store.startRun(run);
    store.recordCell(cell('before'), [metric]);
    // A per-connection cap on the file's size: SQLite then fails exactly as on a full disk.
    const { page_count: pages } = store.db.get<{ page_count: number }>(sql`PRAGMA page_count`);
    store.db.run(sql.raw(`PRAGMA max_page_count = ${pages}`));
    expect(() => store.recordCell(cell('after', { blob: 'z'.repeat(200_000) }), [metric])).toThrow(
      `cannot write ${path}: the database or disk is full (SQLITE_FULL)`,
    );
    expect(store.getCell('after')).toBeUndefined();
    store.close();
    const again = Store.open(path);
    expect(again.getCell('before')?.metrics.map((m) => m.name)).toEqual(['clean']);
    again.recordCell(cell('after'), [metric]); // with room again, the same write succeeds
    again.close();
  });

  it.runIf(disk)('on a real full tmpfs: the write fails naming the db, earlier records stay readable', () => {
    const path = join(disk!.dir, 'store', 'results.db');
    const store = Store.open(path);
    store.startRun(run);
    store.recordCell(cell('before'), [metric]);
    const filler = fillUp(disk!.dir);
    try {
      let err: unknown;
      for (let i = 0; i < 50 && !err; i++) {
        try {
          store.recordCell(cell(`after-${i}`, { blob: 'z'.repeat(50_000 + i) }), [metric]);
        } catch (e) {
          err = e;
        }
      }
      expect(err).toBeInstanceOf(WriteError);
      expect((err as Error).message).toMatch(
        new RegExp(`^cannot write ${path}: (the database or disk is full \\(SQLITE_FULL\\)|disk I/O error)`),
      );
      expect(store.getCell('before')?.metrics).toHaveLength(1);
    } finally {
      store.close();
      rmSync(filler);
    }
    const again = Store.open(path, { readonly: true });
    expect(again.getCell('before')?.metrics).toHaveLength(1);
    again.close();
  });
});
