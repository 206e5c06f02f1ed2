/**
 * The corruption section of `rftbench bench` (harness/orchestration/bench/corruption-speed.ts): every implemented
 * corruption gets a row; jpeg_compression is measured with the codec loaded (it used to end the whole bench with
 * "no codec loaded"), and frost, whose textures are not on disk here, is skipped saying where to put them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IMPLEMENTED_CORRUPTIONS } from '../../../../datasets/corruptions/corruptions.ts';
import { benchCorruptions } from '../../../../harness/orchestration/bench/corruption-speed.ts';

const empty = mkdtempSync(join(tmpdir(), 'rftbench-no-frost-'));
const saved = process.env.RFTBENCH_FROST_DIR;
process.env.RFTBENCH_FROST_DIR = empty;
afterAll(() => {
  if (saved === undefined) delete process.env.RFTBENCH_FROST_DIR;
  else process.env.RFTBENCH_FROST_DIR = saved;
  rmSync(empty, { recursive: true, force: true });
});

describe('benchCorruptions', () => {
  it('measures every corruption it can, jpeg_compression included, and skips frost without its textures', async () => {
    const rows = await benchCorruptions({ time: 5 });
    expect(rows.map((r) => r.corruption).sort()).toEqual([...IMPLEMENTED_CORRUPTIONS].sort());
    for (const r of rows.filter((row) => row.corruption !== 'frost')) {
      expect(r.skipped, r.corruption).toBeUndefined();
      expect(r.imagesPerSecond, r.corruption).toBeGreaterThan(0);
    }
    const frost = rows.find((r) => r.corruption === 'frost')!;
    expect(frost.imagesPerSecond).toBeNaN();
    expect(frost.skipped).toContain(join(empty, 'frost1.png'));
  });
});
