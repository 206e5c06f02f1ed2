/**
 * The protocol suites are built from the cited settings (papers/settings.ts), run every method on every task
 * alike, and `rftbench run --suite X --dry-run [--estimate]` lists their cells, cited settings and cost.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expandSuite } from '../../../harness/protocol/cells.ts';
import { PROTOCOL_SUITE_SETTINGS, protocolOfSuite, protocolSettings } from '../../../harness/protocol/paper-suites.ts';
import { isExternalSource } from '../../../harness/protocol/schema.ts';
import { loadSuite } from '../../../harness/protocol/suites.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'rftbench-paper-suites-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(args: string[]) {
  const r = spawnSync(process.execPath, ['harness/orchestration/cli/rftbench.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RFTBENCH_DATA: join(dir, 'data') },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('protocol suites', () => {
  it('take their budget, optimiser and method settings from the cited settings', () => {
    const twins = loadSuite('twins');
    const tw = protocolSettings('twins');
    expect(twins.tier.budget).toEqual({ epochs: tw.epochs.value, batchSize: tw.batchSize.value });
    for (const m of twins.methods)
      expect(m.config).toMatchObject({
        lr: tw.lr.value,
        weightDecay: tw.weightDecay.value,
        momentum: tw.momentum.value,
      });
    expect(twins.methods.map((m) => m.id)).toEqual(tw.methodIds);
    expect(twins.tasks.map((t) => t.target)).toEqual(['cifar10', 'cifar100', 'caltech256']);
    for (const t of twins.tasks) {
      expect(isExternalSource(t.source) && t.source.catalog).toBe(tw.sourceCatalogId);
      expect(isExternalSource(t.source) && t.source.inputShape).toEqual(
        t.target === 'caltech256' ? [224, 224, 3] : [32, 32, 3],
      );
    }
    const rift = loadSuite('rift');
    expect(rift.tier.evaluation.pgd.restarts).toBe(3);
    expect(rift.tasks.every((t) => t.corruptions)).toBe(true);
    expect(rift.methods.find((m) => m.id === 'rift')!.config).toMatchObject({
      lr: protocolSettings('rift').lr.value,
      ftEpochs: 10,
    });
    const cartl = loadSuite('cartl');
    const fdm = cartl.tasks.filter((t) => !isExternalSource(t.source) && t.source.recipe === 'at-fdm');
    expect(fdm.length).toBe(5);
    for (const t of fdm) expect(!isExternalSource(t.source) && t.source.fdm).toEqual({ k: 4, lambda: 0.005 });
    expect(cartl.tier.evaluation.pgd.steps).toBe(100);
  });

  it('run every method on every task with the same tier (the CARTL ablation task lists its own)', () => {
    for (const id of ['twins', 'rift', 'cartl']) {
      const suite = loadSuite(id);
      const cells = expandSuite(suite);
      const ablation = suite.tasks.filter((t) => t.methods).length;
      const expected =
        (suite.tasks.length - ablation) * suite.methods.length * suite.seeds.length + ablation * 2 * suite.seeds.length;
      expect(cells.length, id).toBe(expected);
      expect(new Set(cells.map((c) => JSON.stringify(c.spec.tier))).size).toBe(1);
      expect(protocolOfSuite(id)).toBe(id);
      expect(protocolOfSuite(`${id}-mini`)).toBe(id);
      // Every cited setting names its citation.
      for (const s of PROTOCOL_SUITE_SETTINGS[id as 'twins']) expect(s.paper.citation).toBeTruthy();
    }
  });

  it('rftbench run --suite twins --dry-run lists the cells and the cited settings', () => {
    const r = cli(['run', '--suite', 'twins', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).id).toBe('twins');
    expect(r.stderr.match(/cell [0-9a-f]{16} {2}salman-r50-linf4-to-/g)!.length).toBe(36);
    expect(r.stderr).toContain('cited settings of the twins protocol');
    expect(r.stderr).toMatch(/lr: paper 0\.003 \[ziquanliu\/CVPR2023-TWINS@dda0194 TWINS_cifar\/train\.sh:3\]/);
    expect(r.stderr).toMatch(/augmentation: paper CIFAR: random crop/);
  });

  it('--estimate prints passes per cell and the total, in hours from --throughput or the saved bench figure', () => {
    const given = cli(['run', '--suite', 'twins', '--dry-run', '--estimate', '--throughput', '100']);
    expect(given.code, given.stderr).toBe(0);
    const lines = given.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('cell ')).length).toBe(36);
    expect(lines[0]).toMatch(/\[resnet50 32x32x3, [\d.]+M MAC\/img\] {2}train [\d.]+M fwd \+ [\d.]+M bwd, eval/);
    expect(lines.at(-1)).toMatch(
      /^total: .* fwd \+ .* bwd image passes .* h at 100\.0 training images\/s of resnet18 32x32x3 \(--throughput\)/,
    );
    // A saved bench result for this backend is used when no figure is given.
    const env = JSON.parse(cli(['env', '--json']).stdout) as { name?: string; backend?: string };
    const backend = env.name ?? env.backend;
    mkdirSync(join(dir, 'data', 'bench'), { recursive: true });
    const rows = [{ backend, model: 'resnet18 32x32x3', batch: 32, task: 'train step', imagesPerSecond: 50 }];
    writeFileSync(
      join(dir, 'data', 'bench', 'throughput.json'),
      JSON.stringify({ savedAt: '2025-01-01T00:00:00Z', backend, threads: 2, rows }),
    );
    const saved = cli(['run', '--suite', 'twins', '--dry-run', '--estimate']);
    expect(saved.code, saved.stderr).toBe(0);
    const total = (out: string) => Number(/ ([\d.]+) h at /.exec(out)![1]);
    expect(saved.stdout).toMatch(/at 50\.0 training images\/s .*rftbench bench on/);
    // Half the throughput: twice the hours (to the printed precision).
    expect(total(saved.stdout) / total(given.stdout)).toBeCloseTo(2, 2);
    expect(cli(['run', '--suite', 'twins', '--estimate']).stderr).toMatch(/--estimate is used with --dry-run/);
    expect(cli(['run', '--suite', 'twins', '--dry-run', '--estimate', '--throughput', 'fast']).stderr).toMatch(
      /--throughput: 'fast'/,
    );
  });
});
