/**
 * End to end: the smoke suite through the real runner, a real SQLite file and the real source cache;
 * then a second run that must skip every finished cell.
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSuite } from '../../../../harness/protocol/suites.ts';
import { runSuite } from '../../../../harness/orchestration/run/runner.ts';
import { sourceId, sourcePath } from '../../../../harness/orchestration/pretrain/sources.ts';
import { shutdownBackend } from '../../../../harness/foundation/tensor/backend.ts';
import { Store } from '../../../../results/store.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-smoke-'));
const quiet = () => {};

beforeAll(() => {
  process.env.RFTBENCH_DATA = join(dir, 'data');
});

afterAll(async () => {
  await shutdownBackend();
  rmSync(dir, { recursive: true, force: true });
});

describe('smoke suite end to end', () => {
  it('runs every cell, stores metrics with provenance, caches the source, and resumes without redoing', async () => {
    const suite = loadSuite('smoke');
    const store = Store.open(join(dir, 'smoke.db'));
    try {
      const first = await runSuite({ suite, store, command: 'test', log: quiet });
      expect(first.map((s) => s.status)).toEqual(['completed', 'completed']);
      for (const s of first) {
        const clean = s.metrics.find((m) => m.name === 'clean')!;
        const robust = s.metrics.find((m) => m.name === 'pgd')!;
        expect(clean.n).toBe(suite.tier.evaluation.n);
        // The synthetic task is learnable: fine-tuning must beat chance (50%) clearly.
        expect(clean.value).toBeGreaterThan(0.7);
        expect(robust.value).toBeLessThanOrEqual(clean.value);
        expect(robust.details.maxPerturbation as number).toBeLessThanOrEqual(suite.tasks[0].threat.eps * (1 + 1e-5));
        expect(robust.details.flags).toEqual([]);
      }
      // PGD lowers the accuracy of a trained model, and adversarial fine-tuning keeps more of it.
      const [standard, at] = first.map((s) => s.metrics.find((m) => m.name === 'pgd')!.value);
      const standardClean = first[0].metrics.find((m) => m.name === 'clean')!.value;
      expect(standard).toBeLessThan(standardClean - 0.1);
      expect(at).toBeGreaterThan(standard);
      const cells = store.listCells({ suite: 'smoke' });
      expect(cells).toHaveLength(2);
      for (const c of cells) {
        expect(c.status).toBe('completed');
        expect(c.provenance).toMatchObject({
          backend: expect.any(String),
          commit: expect.any(String),
          sourceId: sourceId(suite.tasks[0].source),
        });
        expect((c.artifacts.curves as unknown[]).length).toBe(suite.tier.budget.epochs);
        expect(c.metrics.map((m) => m.name).sort()).toEqual([
          'autoattack',
          'autoattack/apgd-ce',
          'autoattack/apgd-t',
          'clean',
          'pgd',
        ]);
        const m = Object.fromEntries(c.metrics.map((x) => [x.name, x]));
        // AutoAttack (on the first 32 points) is never above clean, and records its components and checks.
        expect(m.autoattack.n).toBe(32);
        expect(m.autoattack.details).toMatchObject({
          version: 'custom',
          attacks: ['apgd-ce', 'apgd-t'],
          nanCount: 0,
          outOfBoxCount: 0,
        });
        expect(m['autoattack/apgd-t'].value).toBe(m.autoattack.value);
        // PGD on the same 32 points, for a like-for-like comparison on the board.
        expect(m.autoattack.details.pgdAccuracyOnSamePoints).toEqual(expect.any(Number));
        if (m.autoattack.details.pointsRobustToAutoAttackButNotPgd === 0)
          expect(m.autoattack.value).toBeLessThanOrEqual(m.autoattack.details.pgdAccuracyOnSamePoints as number);
        expect(m['autoattack/apgd-ce'].value).toBeGreaterThanOrEqual(m.autoattack.value);
        expect(m.autoattack.details.maxPerturbation as number).toBeLessThanOrEqual(
          suite.tasks[0].threat.eps * (1 + 1e-5),
        );
        expect(m.autoattack.value).toBeLessThanOrEqual((m.autoattack.details.cleanAccuracy as number) + 1e-12);
      }
      expect(existsSync(sourcePath(sourceId(suite.tasks[0].source)))).toBe(true);
      expect(store.listSources()).toHaveLength(1);
      const runsBefore = store.listRuns().length;

      const second = await runSuite({ suite, store, command: 'test', log: quiet });
      expect(second.map((s) => s.status)).toEqual(['skipped', 'skipped']);
      expect(second.map((s) => s.metrics.find((m) => m.name === 'clean')?.value)).toEqual(
        first.map((s) => s.metrics.find((m) => m.name === 'clean')?.value),
      );
      expect(store.listRuns().length).toBe(runsBefore);
    } finally {
      store.close();
    }
  });
});
