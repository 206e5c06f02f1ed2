/**
 * AutoAttack apart from its plumbing: the algorithm file imports no file system and nothing of the harness,
 * and its two injected parts work as the harness uses them: a state store (here the in-memory one) that an
 * interrupted run resumes from, and a batch runner that takes several batches at once.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  autoAttack,
  componentAttack,
  inThreadRunner,
  memoryStateStore,
  type AutoAttackBatchRunner,
  type AutoAttackReport,
  type ComponentOverrides,
  type Progress,
} from '../../attacks/autoattack.ts';
import { createAttack } from '../../attacks/registry.ts';
import { useCpuBackend } from '../support/tf.ts';
import { trainTinyNet, type TinyNet } from './fixtures.ts';

const ALGORITHM = new URL('../../attacks/autoattack.ts', import.meta.url);
const HARNESS = new URL('../../harness/', import.meta.url).href;
const FORBIDDEN = new Set([
  'fs',
  'node:fs',
  'fs/promises',
  'node:fs/promises',
  'worker_threads',
  'node:worker_threads',
  'child_process',
  'node:child_process',
]);

/** The module specifiers a TypeScript source imports or re-exports (static and dynamic), comments left out. */
function importsOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const patterns = [
    /^\s*(?:import|export)\s[^'"]*?\sfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((p) => [...code.matchAll(p)].map((m) => m[1]));
}

/** Every module reachable from `entry` through relative imports, with the packages each one imports. */
function moduleGraph(entry: URL): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (url: URL) => {
    if (graph.has(url.href)) return;
    const specs = importsOf(readFileSync(url, 'utf8'));
    graph.set(
      url.href,
      specs.filter((s) => !s.startsWith('.')),
    );
    for (const s of specs) if (s.startsWith('.')) walk(new URL(s, url));
  };
  walk(entry);
  return graph;
}

const FAST: ComponentOverrides = {
  apgd: { nIter: 10 },
  apgdT: { nIter: 10 },
  fab: { nIter: 10 },
  square: { nQueries: 60 },
};
let net: TinyNet;

beforeAll(async () => {
  await useCpuBackend();
  net = trainTinyNet({ numClasses: 4, n: 48 });
});

afterAll(() => net.dispose());

/** What must not move between two runs: everything but the examples tensor, and the examples' values. */
function outcome(r: AutoAttackReport) {
  const { xAdv, ...rest } = r;
  return { ...rest, xAdv: Array.from(xAdv.dataSync()) };
}

describe('AutoAttack apart from plumbing', () => {
  it('reads its import lines correctly (a harness or fs import would be seen)', () => {
    const planted = [
      "import { x } from '../harness/foundation/rng.ts';",
      'import {',
      '  a,',
      "} from 'node:fs';",
      "// import { y } from 'node:fs';",
      "import './side.ts';",
    ].join('\n');
    expect(importsOf(planted)).toEqual(['../harness/foundation/rng.ts', 'node:fs', './side.ts']);
    expect(importsOf(readFileSync(ALGORITHM, 'utf8'))).toEqual(
      expect.arrayContaining(['@tensorflow/tfjs-core', './apgd.ts', './utils.ts']),
    );
  });

  it('attacks/autoattack.ts imports neither node:fs nor anything under harness/, and reaches no fs or threads', () => {
    const direct = importsOf(readFileSync(ALGORITHM, 'utf8'));
    expect(direct.filter((s) => FORBIDDEN.has(s))).toEqual([]);
    expect(direct.filter((s) => s.startsWith('.') && new URL(s, ALGORITHM).href.startsWith(HARNESS))).toEqual([]);
    // Through its attacks and their helpers, nothing touches files, threads or processes either.
    const graph = moduleGraph(ALGORITHM);
    expect(graph.size).toBeGreaterThan(5);
    const offenders = [...graph].flatMap(([file, packages]) =>
      packages.filter((p) => FORBIDDEN.has(p)).map((p) => `${file} imports ${p}`),
    );
    expect(offenders).toEqual([]);
  });

  it("refuses a file path as its state: files are the harness's", () => {
    expect(() => autoAttack({ state: 'aa-state.json' as never })).toThrow(
      /option 'state' must be a state store with load\(\) and save\(\), got the string 'aa-state.json'/,
    );
    expect(() => createAttack('autoattack', { state: 'aa-state.json' })).toThrow(
      /option 'state' must be a state store/,
    );
  });

  it('resumes from an in-memory state store and ends where an uninterrupted run ends', async () => {
    const full = autoAttack({ eps: 0.06, batchSize: 16, overrides: FAST }).evaluate(net.model, net.x, net.y, 5);
    const store = memoryStateStore();
    const aa = autoAttack({ eps: 0.06, batchSize: 16, overrides: FAST, state: store });
    const killed = aa.evaluateAsync(net.model, net.x, net.y, 5, (p) => {
      if (p.attack === 'apgd-ce' && p.batch === 2) throw new Error('killed');
    });
    await expect(killed).rejects.toThrow('killed');
    expect(store.load()).toMatchObject({ runAttacks: [], inProgress: { attack: 'apgd-ce', batchesDone: 2 } });
    const lines: string[] = [];
    const resumed = autoAttack({
      eps: 0.06,
      batchSize: 16,
      overrides: FAST,
      state: store,
      log: (l) => lines.push(l),
    }).evaluate(net.model, net.x, net.y, 5);
    expect(resumed.resumed).toBe(true);
    expect(lines[0]).toMatch(/^restored state: no attack already run/);
    expect(resumed.robustFlags).toEqual(full.robustFlags);
    expect(resumed.robustAccuracyAfter).toEqual(full.robustAccuracyAfter);
    expect(store.load()).toMatchObject({ runAttacks: full.attacks, robustFlags: full.robustFlags });
    // Without a store each evaluation starts afresh: the same instance twice gives the same report.
    const again = autoAttack({ eps: 0.06, batchSize: 16, overrides: FAST });
    const a = again.evaluate(net.model, net.x, net.y, 5);
    const b = again.evaluate(net.model, net.x, net.y, 5);
    expect(b.resumed).toBe(false);
    expect(outcome(b)).toEqual(outcome(a));
    expect(outcome(a)).toEqual(outcome(full));
    tf.dispose([full.xAdv, resumed.xAdv, a.xAdv, b.xAdv]);
  });

  it('hands an injected runner up to `width` batches at once and ends as in one thread, progress in batch order', async () => {
    const options = {
      eps: 0.1,
      batchSize: 8,
      version: 'custom' as const,
      attacks: ['apgd-ce' as const, 'square' as const],
      overrides: FAST,
    };
    const here = autoAttack(options).evaluate(net.model, net.x, net.y, 3);
    const inThread = inThreadRunner(net.model, net.x, net.y, (c) => componentAttack(c, 'custom', 'Linf', 0.1, FAST));
    const groups: string[] = [];
    // Answers a group at a time and later, as the worker pool does; outcomes still apply in batch order.
    const runner: AutoAttackBatchRunner = {
      width: 4,
      run: async (component, jobs) => {
        groups.push(`${component}:${jobs.length}`);
        const done = jobs.map((j) => inThread.run(component, [j])[0]);
        await new Promise((resolve) => setTimeout(resolve, 1));
        return done;
      },
    };
    const progress: Progress[] = [];
    const wide = await autoAttack(options).evaluateAsync(net.model, net.x, net.y, 3, (p) => progress.push(p), runner);
    expect(outcome(wide)).toEqual(outcome(here));
    // 48 points in batches of 8 make 6 APGD-CE batches: 4, then 2.
    expect(groups[0]).toBe('apgd-ce:4');
    expect(groups[1]).toBe('apgd-ce:2');
    expect(progress.filter((p) => p.attack === 'apgd-ce').map((p) => p.batch)).toEqual([1, 2, 3, 4, 5, 6]);
    const broken: AutoAttackBatchRunner = {
      width: 2,
      run: (component, jobs) => inThread.run(component, jobs.slice(0, 1)),
    };
    await expect(autoAttack(options).evaluateAsync(net.model, net.x, net.y, 3, undefined, broken)).rejects.toThrow(
      /the batch runner returned 1 results for 2 batches/,
    );
    tf.dispose([here.xAdv, wide.xAdv]);
  });
});
