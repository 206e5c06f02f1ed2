/**
 * SIGKILL `rftbench run` mid-suite (once early, once after the first cell), then run it again: the suite
 * completes, finished cells are not redone, nothing half-written is left.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Store } from '../../../results/store.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = join(root, 'harness/cli/rftbench.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rftbench-kill-'));
const db = join(dir, 'kill.db');
const args = [cli, 'run', '--suite', 'smoke', '--db', db, '--data', join(dir, 'data')];

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function completedCells(): { id: string; finishedAt: number }[] {
  try {
    const store = Store.open(db, { readonly: true });
    try {
      return store.listCells({ status: 'completed' }).map((c) => ({ id: c.id, finishedAt: c.finishedAt }));
    } finally {
      store.close();
    }
  } catch {
    return []; // not created yet
  }
}

/** Starts the run and SIGKILLs it when `when()` holds (polled), or after `timeoutMs`. */
async function runAndKill(when: () => boolean, timeoutMs: number): Promise<void> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: 'ignore' });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const started = Date.now();
  while (child.exitCode === null && !when() && Date.now() - started < timeoutMs) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGKILL');
  await exited;
}

describe('kill -9 and resume', () => {
  it('completes the suite after two kills without redoing finished cells', async () => {
    // Kill during start-up / source pre-training.
    await runAndKill(() => false, 2500);
    // Kill right after the first cell is written.
    await runAndKill(() => completedCells().length >= 1, 240_000);
    const afterKills = completedCells();
    expect(afterKills.length).toBeGreaterThanOrEqual(1);

    const done = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
    expect(done.status, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/stored/);
    expect(done.stdout).toMatch(/source of synthetic-transfer\/linf-8: small-resnet on synthetic\[0-1\] \(fgsm-rs\), clean \d+\.\d%, PGD \d+\.\d%/);
    const final = completedCells();
    expect(final).toHaveLength(2);
    // The cells finished before the kill keep their original record.
    for (const c of afterKills) expect(final.find((f) => f.id === c.id)?.finishedAt).toBe(c.finishedAt);

    const store = Store.open(db, { readonly: true });
    try {
      const statuses = store.listRuns().map((r) => r.status);
      // Killed runs stay 'running' (nothing could mark them); the last one completed.
      expect(statuses).toContain('completed');
      expect(store.listCells()).toHaveLength(2);
    } finally {
      store.close();
    }
  });
});
