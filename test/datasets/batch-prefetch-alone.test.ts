/**
 * A caller with nothing else to do (no timers, no other work: `rftbench bench`'s pipeline section) awaits the
 * prefetch workers' start and their close. Idle workers are unref'd so that they never keep a process alive;
 * awaiting either with only unref'd workers left Node's event loop empty, and Node exited with status 13 (an
 * unsettled await) in the middle of the caller. Each case runs in its own process, as the bench does.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { type NodeRun, runNode } from '../support/run-node.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-prefetch-alone-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let scripts = 0;

function runAlone(body: string): Promise<NodeRun> {
  const script = `
    const { useCpuBackend } = await import(${JSON.stringify(join(root, 'test/support/tf.ts'))});
    await useCpuBackend();
    const { trainingBatches } = await import(${JSON.stringify(join(root, 'datasets/batch-prefetch.ts'))});
    const { AugmentSchema } = await import(${JSON.stringify(join(root, 'harness/protocol/schema.ts'))});
    const n = 64;
    const shape = [16, 16, 3];
    const split = {
      images: new Uint8Array(n * 16 * 16 * 3).map((_, i) => i % 251), labels: new Int32Array(n), n, shape,
      pipeline: { inShape: shape, outShape: shape, seed: 1, augment: AugmentSchema.parse({ crop: { size: 16, padding: 2 }, flip: true }) },
    };
    const source = trainingBatches(split, { workers: 2 });
    ${body}
    console.log('finished');
  `;
  // A file, not -e: the workers inherit the process's flags, and --input-type would fail their entry.
  const file = join(dir, `alone-${scripts++}.mjs`);
  writeFileSync(file, script);
  return runNode(['--import', 'tsx', file], { cwd: root });
}

describe('batch prefetch workers awaited by a caller with nothing else to do', () => {
  it('started() resolves instead of the process exiting', async () => {
    const r = await runAlone(`await source.started(); console.log('started'); await source.close();`);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('started\nfinished\n');
    expect(r.status).toBe(0);
  });

  it('close() resolves after an epoch cut short with batches still being made', async () => {
    const r = await runAlone(`
      await source.started();
      const rows = Int32Array.from({ length: 8 }, (_, i) => i);
      let taken = 0;
      for await (const b of source.epoch(0, Array.from({ length: 50 }, () => rows))) {
        b.x.dispose(); b.y.dispose();
        if (++taken === 5) break;
      }
      await source.close();
      console.log('closed after ' + taken);
    `);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('closed after 5\nfinished\n');
    expect(r.status).toBe(0);
  });
});
