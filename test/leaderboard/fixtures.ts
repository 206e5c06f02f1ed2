/**
 * @module A results store filled the way the harness fills it: real cell specs and ids from
 * `expandSuite`, real rows through `Store.recordCell`, metrics with Wilson intervals. Two tasks x four
 * methods x two seeds, plus a failed retry-able cell, a flagged evaluation and a self-reported entry, and the
 * `methods` rows a run writes for the registry entries among them.
 *
 * Run directly to write a store file for the site or the load check:
 *   npx tsx test/leaderboard/fixtures.ts /tmp/fixture.db
 */
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expandSuite, type Cell } from '../../harness/protocol/cells.ts';
import { parseSuite, type SuiteInput } from '../../harness/protocol/schema.ts';
import { wilsonInterval } from '../../harness/orchestration/evaluate/wilson.ts';
import { Store, type NewMetric } from '../../results/store.ts';
import { recordMethodInfos } from '../../harness/orchestration/run/method-info.ts';
import at from '../../methods/at.ts';
import rift from '../../methods/rift/rift.ts';
import standard from '../../methods/standard.ts';
import { BENCHMARK_CORRUPTIONS } from '../../datasets/corruption-set.ts';

const EPS_8 = 8 / 255;
export const TASK_A = 'fmnist-transfer/linf-8';
export const TASK_B = 'cifar10-transfer/linf-8';
export const METHOD_IDS = ['standard', 'at', 'twins-bn', 'rift'] as const;
export const SEEDS = [0, 1] as const;

export const CORRUPTIONS = BENCHMARK_CORRUPTIONS;

/** Mean accuracies per task and method (seeds are this ± a symmetric jitter, so means are exact). */
export const BASE: Record<
  string,
  Record<(typeof METHOD_IDS)[number], { clean: number; pgd: number; autoattack: number; corruption: number }>
> = {
  [TASK_A]: {
    standard: { clean: 0.912, pgd: 0.052, autoattack: 0.02, corruption: 0.7 },
    at: { clean: 0.8, pgd: 0.462, autoattack: 0.42, corruption: 0.66 },
    'twins-bn': { clean: 0.832, pgd: 0.49, autoattack: 0.45, corruption: 0.68 },
    rift: { clean: 0.82, pgd: 0.51, autoattack: 0.47, corruption: 0.69 },
  },
  [TASK_B]: {
    standard: { clean: 0.88, pgd: 0.01, autoattack: 0.0, corruption: 0.62 },
    at: { clean: 0.71, pgd: 0.38, autoattack: 0.35, corruption: 0.58 },
    'twins-bn': { clean: 0.74, pgd: 0.41, autoattack: 0.37, corruption: 0.6 },
    rift: { clean: 0.73, pgd: 0.42, autoattack: 0.38, corruption: 0.61 },
  },
};

/** Expected order by AutoAttack on each task (best first). */
export const EXPECTED_ORDER: Record<string, string[]> = {
  [TASK_A]: ['rift', 'twins-bn', 'at', 'standard'],
  [TASK_B]: ['rift', 'twins-bn', 'at', 'standard'],
};

const quickTier = {
  id: 'quick' as const,
  budget: { epochs: 8, batchSize: 128, maxTrainExamples: 6000 },
  trainAttack: { steps: 3, stepSizeOverEps: 0.5 },
  evaluation: { n: 500, batchSize: 250, pgd: { steps: 20, stepSizeOverEps: 0.25, restarts: 1 } },
};

const standardTier = {
  id: 'standard' as const,
  budget: { epochs: 10, batchSize: 128 },
  trainAttack: { steps: 10, stepSizeOverEps: 0.25 },
  evaluation: { n: 2000, batchSize: 500, pgd: { steps: 50, stepSizeOverEps: 0.25, restarts: 2 } },
};

const methods = METHOD_IDS.map((id) => ({ id, config: id === 'rift' ? { alpha: 0.3, lr: 0.01 } : {} }));

export const SUITE_A: SuiteInput = {
  id: 'quick',
  description: 'Fashion-MNIST transfer on a CPU.',
  tier: quickTier,
  tasks: [
    {
      id: TASK_A,
      source: {
        dataset: 'fashion-mnist[0-4]',
        arch: 'small-resnet',
        recipe: 'fgsm-rs',
        threat: { norm: 'Linf', eps: EPS_8 },
        stepSize: 1.25 * EPS_8,
        epochs: 2,
        batchSize: 128,
        maxTrainExamples: 12000,
        lr: 0.1,
      },
      target: 'fashion-mnist[5-9]',
      threat: { norm: 'Linf', eps: EPS_8 },
    },
  ],
  methods,
  seeds: [...SEEDS],
};

export const SUITE_B: SuiteInput = {
  id: 'paper-cifar',
  description: 'CIFAR-10 class-split transfer on a GPU.',
  tier: standardTier,
  tasks: [
    {
      id: TASK_B,
      source: {
        dataset: 'cifar10[0-4]',
        arch: 'resnet18',
        recipe: 'at',
        threat: { norm: 'Linf', eps: EPS_8 },
        stepSize: 2 / 255,
        epochs: 30,
        lr: 0.1,
      },
      target: 'cifar10[5-9]',
      threat: { norm: 'Linf', eps: EPS_8 },
    },
  ],
  methods,
  seeds: [...SEEDS],
};

function metric(name: string, value: number, n: number, details: Record<string, unknown> = {}): NewMetric {
  const correct = Math.round(Math.min(1, Math.max(0, value)) * n);
  const [ciLow, ciHigh] = wilsonInterval(correct, n);
  return { name, value: correct / n, n, ciLow, ciHigh, details: { correct, ...details } };
}

/** The metrics the harness writes for one completed cell. */
export function metricsFor(
  taskId: string,
  methodId: (typeof METHOD_IDS)[number],
  seed: number,
  n: number,
  flags: string[] = [],
): NewMetric[] {
  const base = BASE[taskId][methodId];
  const j = (seed % 2 === 0 ? 1 : -1) * 0.006;
  const aa = Math.max(0, base.autoattack + j);
  const out: NewMetric[] = [
    metric('clean', base.clean + j, n),
    metric('pgd', Math.max(0, base.pgd + j), n, {
      attack: 'pgd',
      norm: 'Linf',
      eps: EPS_8,
      steps: 20,
      stepSize: EPS_8 / 4,
      restarts: 1,
      maxPerturbation: flags.length ? EPS_8 * 1.02 : EPS_8,
      nanCount: 0,
      outOfBoxCount: 0,
      flags,
    }),
    metric('autoattack', aa, n, {
      version: 'standard',
      norm: 'Linf',
      eps: EPS_8,
      maxPerturbation: EPS_8,
      nanCount: 0,
      flags: [],
    }),
    metric('autoattack/apgd-ce', aa + 0.03, n),
    metric('autoattack/apgd-t', aa + 0.012, n),
    metric('autoattack/fab-t', aa + 0.004, n),
    metric('autoattack/square', aa, n),
  ];
  let sum = 0;
  const per: NewMetric[] = [];
  for (const [ci, name] of CORRUPTIONS.entries()) {
    for (let severity = 1; severity <= 5; severity++) {
      const drop = severity * (0.01 + (ci % 5) * 0.006);
      const m = metric(`corruption/${name}/${severity}`, base.clean + j - drop, n);
      sum += m.value;
      per.push(m);
    }
  }
  out.push(metric('corruption', sum / per.length, n * per.length), ...per);
  return out;
}

function provenanceFor(cell: Cell, gpu: boolean): Record<string, unknown> {
  return {
    harness: '0.1.0',
    commit: '43726ac5e0f1d2c3b4a5968778695a4b3c2d1e0f',
    backend: gpu ? 'tensorflow-gpu' : 'wasm',
    tfjsVersion: '4.22.0',
    threads: gpu ? 0 : 2,
    simd: !gpu,
    customKernels: gpu ? [] : ['Conv2DBackpropFilter'],
    node: 'v20.20.2',
    platform: 'linux 6.1.0 x64',
    cpus: gpu ? 'AMD EPYC 7742' : 'Intel(R) Xeon(R) CPU @ 2.20GHz',
    cores: gpu ? 64 : 2,
    memoryGiB: gpu ? 256 : 8,
    packages: { '@tensorflow/tfjs-core': '4.22.0', 'better-sqlite3': '12.11.1', 'drizzle-orm': '0.45.4', zod: '4.6.7' },
    datasetVersion: cell.spec.task.target.startsWith('cifar') ? 'cifar10-bin-1' : 'fashion-mnist-idx-1',
    sourceId: `src-${cell.spec.task.id.split('/')[0]}`,
    sourceSha256: 'a3f1c9e07b55d2e4a1f0c3b2d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0',
  };
}

function curvesFor(epochs: number, methodId: string, seed: number): Record<string, number>[] {
  const adv = methodId !== 'standard';
  return Array.from({ length: epochs }, (_, e) => ({
    epoch: e + 1,
    loss: (adv ? 1.9 : 1.1) * Math.exp(-0.25 * e) + 0.2 + 0.01 * seed,
    acc: (adv ? 0.45 : 0.6) + (adv ? 0.3 : 0.3) * (1 - Math.exp(-0.4 * e)),
    seconds: adv ? 41.5 : 12.3,
  }));
}

function riftArtifact(seed: number): Record<string, unknown> {
  const modules = [
    'conv1',
    'layer1.0.conv1',
    'layer1.0.conv2',
    'layer2.0.conv1',
    'layer2.0.conv2',
    'layer2.1.conv2',
    'layer3.0.conv1',
    'layer3.1.conv2',
    'fc',
  ];
  const criticality = Object.fromEntries(
    modules.map((m, i) => [m, Number((0.02 + ((i * 37 + seed * 11) % 23) / 100).toFixed(3))]),
  );
  return {
    criticality,
    module: 'layer2.1.conv2',
    alpha: 0.3,
    rule: 'least robust-critical module: smallest loss increase under weight perturbation',
  };
}

export interface Fixture {
  store: Store;
  path: string;
  /** Cell ids by `${taskId}|${methodId}|${seed}`. */
  ids: Map<string, string>;
  failedCellId: string;
  flaggedCellId: string;
}

export const cellKey = (taskId: string, methodId: string, seed: number) => `${taskId}|${methodId}|${seed}`;

/** Writes the fixture into a new store at `path` (an existing file is replaced). */
export function buildFixtureStore(path: string): Fixture {
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(path + suffix)) rmSync(path + suffix);
  const store = Store.open(path);
  const ids = new Map<string, string>();
  const t0 = Date.UTC(2025, 5, 2, 9, 0, 0);
  let clock = t0;
  let flaggedCellId = '';
  // What a run writes about its suite's entries; `twins-bn` is no registry entry, so the store does not describe it.
  recordMethodInfos(store, [standard, at, rift], new Set(), t0);
  for (const input of [SUITE_A, SUITE_B]) {
    const suite = parseSuite(input);
    const gpu = suite.tier.id === 'standard';
    const runId = `run-${suite.id}`;
    store.startRun({
      id: runId,
      suite: suite.id,
      tier: suite.tier.id,
      command: `rftbench run --suite ${suite.id}`,
      startedAt: clock,
      status: 'running',
      commit: '43726ac5e0f1d2c3b4a5968778695a4b3c2d1e0f',
      backend: gpu ? 'tensorflow-gpu' : 'wasm',
      environment: { node: 'v20.20.2' },
    });
    for (const cell of expandSuite(suite)) {
      const { task, method, seed } = cell.spec;
      const methodId = method.id as (typeof METHOD_IDS)[number];
      const flagged = task.id === TASK_B && methodId === 'at' && seed === 1;
      const trainSeconds = (gpu ? 1800 : 95) * (methodId === 'standard' ? 1 : 3.4) * (1 + 0.05 * seed);
      const evalSeconds = gpu ? 620 : 48;
      const startedAt = clock;
      clock += (trainSeconds + evalSeconds) * 1000;
      store.recordCell(
        {
          id: cell.id,
          suite: suite.id,
          tier: suite.tier.id,
          taskId: task.id,
          methodId,
          seed,
          status: 'completed',
          runId,
          spec: cell.spec as unknown as Record<string, unknown>,
          provenance: provenanceFor(cell, gpu),
          artifacts: {
            curves: curvesFor(suite.tier.budget.epochs, methodId, seed),
            ...(methodId === 'rift' ? { rift: riftArtifact(seed) } : {}),
          },
          startedAt,
          finishedAt: clock,
          trainSeconds,
          evalSeconds,
          verification: task.id === TASK_B && methodId === 'rift' ? 'self-reported' : 'measured',
        },
        metricsFor(task.id, methodId, seed, suite.tier.evaluation.n, flagged ? ['over-eps:3'] : []),
      );
      ids.set(cellKey(task.id, methodId, seed), cell.id);
      if (flagged) flaggedCellId = cell.id;
    }
    store.finishRun(runId, 'completed');
  }
  // A third seed of twins-bn on task A that diverged: shown as a failed seed, never ranked.
  const failed = expandSuite(parseSuite({ ...SUITE_A, methods: [methods[2]], seeds: [2] }))[0];
  store.recordCell(
    {
      id: failed.id,
      suite: 'quick',
      tier: 'quick',
      taskId: TASK_A,
      methodId: 'twins-bn',
      seed: 2,
      status: 'failed',
      error: 'diverged at epoch 2, step 14: loss is NaN',
      runId: 'run-quick',
      spec: failed.spec as unknown as Record<string, unknown>,
      provenance: provenanceFor(failed, false),
      artifacts: {},
      startedAt: clock,
      finishedAt: clock + 30_000,
      trainSeconds: 0,
      evalSeconds: 0,
    },
    [],
  );
  ids.set(cellKey(TASK_A, 'twins-bn', 2), failed.id);
  return { store, path, ids, failedCellId: failed.id, flaggedCellId };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const out = process.argv[2];
  if (!out) {
    console.error('Usage: npx tsx test/leaderboard/fixtures.ts OUT.db');
    process.exit(2);
  }
  const f = buildFixtureStore(out);
  console.log(`wrote ${f.ids.size} cells to ${out}`);
  f.store.close();
}
