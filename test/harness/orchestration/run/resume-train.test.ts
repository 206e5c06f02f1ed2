/**
 * Killed inside training, through the CLI, at seeded random steps: a RiFT cell (an adversarial fit, the
 * criticality stage, a fine-tuning fit of three epochs whose best epoch lives outside the model) is killed
 * with SIGKILL in its first fit, stopped with SIGTERM in its second (exit 75, run marked interrupted) and
 * killed again there, then finished: its trained weights (sha256 of the state), metrics, curves and RiFT
 * artifact equal an uninterrupted run's. The same for source pre-training (`rftbench pretrain`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointFile } from '../../../../harness/foundation/checkpoint/checkpoint.ts';
import { EXIT_INTERRUPTED } from '../../../../harness/orchestration/train/graceful-stop.ts';
import { Rng } from '../../../../harness/foundation/rng.ts';
import { Store } from '../../../../results/store.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const cli = join(root, 'harness/orchestration/cli/rftbench.mjs');
const dir = mkdtempSync(join(tmpdir(), 'rftbench-resume-'));
const suitePath = join(dir, 'suite.json');
const refData = join(dir, 'ref-data');
const refDb = join(dir, 'ref.db');
const EPS = 8 / 255;

// Smoke-sized. RiFT's first fit barely moves (tiny lr, one epoch) so the fine-tuned module decides the
// chosen alpha (1 here): the second fit's weights are what gets evaluated.
const suite = {
  id: 'resume-train',
  description: 'A RiFT cell small enough to be killed several times in a test.',
  tier: {
    id: 'smoke',
    budget: { epochs: 2, batchSize: 32 },
    trainAttack: { steps: 2, stepSizeOverEps: 0.5 },
    evaluation: { n: 64, batchSize: 64, pgd: { steps: 5, stepSizeOverEps: 0.25, restarts: 1 } },
  },
  tasks: [
    {
      id: 'synthetic-transfer/linf-8',
      source: {
        dataset: 'synthetic[0-1]',
        arch: 'small-resnet',
        recipe: 'fgsm-rs',
        threat: { norm: 'Linf', eps: EPS },
        stepSize: 1.25 * EPS,
        epochs: 2,
        batchSize: 32,
        lr: 0.05,
      },
      target: 'synthetic[2-3]',
      threat: { norm: 'Linf', eps: EPS },
    },
  ],
  methods: [
    {
      id: 'rift',
      config: {
        ...{ atLr: 0.0001, atEpochs: 1, ftEpochs: 3, lr: 0.05, tolerance: 1 },
        ...{ mrcExamples: 64, mrcAttackSteps: 2, mrcEpochs: 2, holdout: 64, selectAttackSteps: 2 },
      },
    },
  ],
  seeds: [0],
};
// 256 target examples less 64 held out = 6 steps an epoch: fit 1 is steps 1-6, fit 2 steps 7-24.
// The source: 256 examples, 8 steps an epoch, 16 steps.
const CELL_STEPS = 24;
const SOURCE_STEPS = 16;

interface Manifest {
  stepsDone: number;
  current: { fit: number; epoch: number; step: number } | null;
}

/** The training checkpoint of the cell (`cell`) or of the source, if one is written. */
function stateOf(dataDir: string, kind: 'cell' | 'source'): Manifest | undefined {
  try {
    const base = join(dataDir, 'train-state');
    const name = readdirSync(base).find((d) => d.startsWith('source-') === (kind === 'source'));
    return name ? (JSON.parse(readFileSync(join(base, name, 'state.json'), 'utf8')) as Manifest) : undefined;
  } catch {
    return undefined; // not written yet
  }
}

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Runs the CLI and sends `signal` once `when()` holds (polled every 10 ms), or after two minutes. */
async function runAndSignal(args: string[], when: () => boolean, signal: NodeJS.Signals): Promise<Ended> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<Ended>((r) => child.on('exit', (code, sig) => r({ code, signal: sig, stderr })));
  const started = Date.now();
  const running = () => child.exitCode === null && child.signalCode === null;
  while (running() && !when() && Date.now() - started < 120_000) await new Promise((r) => setTimeout(r, 10));
  child.kill(signal);
  return exited;
}

function runToEnd(args: string[]): Ended {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, signal: r.signal, stderr: r.stderr };
}

function cellRecord(db: string) {
  const store = Store.open(db, { readonly: true });
  try {
    const [cell] = store.listCells();
    const { curves, rift } = cell.artifacts as { curves: Record<string, number>[]; rift: unknown };
    return {
      status: cell.status,
      metrics: cell.metrics.map((m) => [m.name, m.value, m.n]),
      weightsSha256: (cell.provenance as { weightsSha256: string }).weightsSha256,
      // Seconds differ from run to run; losses must not.
      curves: curves.map((c) => Object.fromEntries(Object.entries(c).filter(([k]) => !k.endsWith('seconds')))),
      rift,
    };
  } finally {
    store.close();
  }
}

/** The source's tensors (not its metadata, which has times in it) hashed, its metrics and curve losses. */
function sourceRecord(dataDir: string) {
  const sources = join(dataDir, 'sources');
  const [file] = readdirSync(sources).filter((f) => f.endsWith('.safetensors'));
  const ckpt = readCheckpointFile(join(sources, file));
  const hash = createHash('sha256');
  for (const [name, t] of ckpt.tensors) hash.update(name).update(t.data);
  const meta = ckpt.metadata as { metrics: { name: string; value: number }[]; curve: { loss: number }[] };
  const metrics = meta.metrics.map((m) => [m.name, m.value]);
  return { file, tensors: hash.digest('hex'), metrics, losses: meta.curve.map((c) => c.loss) };
}

beforeAll(() => {
  writeFileSync(suitePath, JSON.stringify(suite));
  // The uninterrupted reference (default checkpoint interval): it pre-trains the source too.
  const ref = runToEnd(['run', '--suite', suitePath, '--db', refDb, '--data', refData, '--keep-models', 'none']);
  expect(ref.code, ref.stderr).toBe(0);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('training killed and resumed', () => {
  it('a RiFT cell: SIGKILL in fit 1, SIGTERM (exit 75) and SIGKILL in fit 2, then the same weights and metrics', async () => {
    expect(stateOf(refData, 'cell'), 'a recorded cell keeps no training state').toBeUndefined();
    const data = join(dir, 'cell-data');
    const db = join(dir, 'cell.db');
    cpSync(join(refData, 'sources'), join(data, 'sources'), { recursive: true });
    // A checkpoint every few steps (0.001 min = 60 ms): a kill loses the steps since the last one.
    const args = ['run', '--suite', suitePath, '--db', db, '--data', data, '--keep-models', 'none'];
    args.push('--checkpoint-minutes', '0.001');
    const steps = () => stateOf(data, 'cell')?.stepsDone ?? 0;
    const rng = new Rng(20261130);

    const k1 = 1 + rng.int(5);
    const first = await runAndSignal(args, () => steps() >= k1, 'SIGKILL');
    expect(first.signal, first.stderr).toBe('SIGKILL');
    expect(steps()).toBeGreaterThanOrEqual(k1);

    const k2 = Math.max(steps() + 1, 8) + rng.int(6);
    const second = await runAndSignal(
      args,
      () => steps() >= k2 && stateOf(data, 'cell')?.current?.fit === 1,
      'SIGTERM',
    );
    expect(second.code, second.stderr).toBe(EXIT_INTERRUPTED);
    expect(second.stderr).toMatch(/resuming from the training checkpoint/);
    expect(second.stderr).toMatch(/training stopped on request at fit 2, epoch \d, step \d/);
    const stopped = stateOf(data, 'cell')!;
    expect(stopped.current?.fit).toBe(1);
    expect(stopped.stepsDone).toBeGreaterThanOrEqual(k2);

    const k3 = stopped.stepsDone + 1 + rng.int(CELL_STEPS - 2 - stopped.stepsDone);
    const third = await runAndSignal(args, () => steps() >= k3, 'SIGKILL');
    expect(third.signal, third.stderr).toBe('SIGKILL');
    // The criticality stage ran once, in the first process.
    expect(third.stderr).toMatch(/stage mrc: result taken from the training checkpoint/);
    expect(third.stderr).toMatch(/fit 2: resuming at epoch \d, step \d/);

    const last = runToEnd([...args, '--keep-train-state']);
    expect(last.code, last.stderr).toBe(0);
    const resumed = cellRecord(db);
    const reference = cellRecord(refDb);
    expect(resumed.status).toBe('completed');
    expect(resumed.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(resumed).toEqual(reference);
    expect((reference.rift as { alpha: number }).alpha, 'the fine-tuning fit decides the weights').toBeGreaterThan(0);
    expect(stateOf(data, 'cell'), '--keep-train-state keeps it').toBeDefined();

    const store = Store.open(db, { readonly: true });
    try {
      const runs = store.listRuns().sort((a, b) => a.startedAt - b.startedAt);
      expect(runs.map((r) => r.status)).toEqual(['interrupted', 'interrupted', 'interrupted', 'completed']);
    } finally {
      store.close();
    }
  }, 240_000);

  it('source pre-training: SIGKILL, then SIGTERM (exit 75), then the same tensors and metrics', async () => {
    const data = join(dir, 'source-data');
    const args = ['pretrain', '--suite', suitePath, '--db', join(dir, 'source.db'), '--data', data];
    args.push('--checkpoint-minutes', '0.001');
    const steps = () => stateOf(data, 'source')?.stepsDone ?? 0;
    const rng = new Rng(7);

    const k1 = 2 + rng.int(5);
    const killed = await runAndSignal(args, () => steps() >= k1, 'SIGKILL');
    expect(killed.signal, killed.stderr).toBe('SIGKILL');

    const k2 = steps() + 1 + rng.int(SOURCE_STEPS - 3 - steps());
    const stopped = await runAndSignal(args, () => steps() >= k2, 'SIGTERM');
    expect(stopped.code, stopped.stderr).toBe(EXIT_INTERRUPTED);
    expect(stopped.stderr).toMatch(/resuming from the training checkpoint/);
    expect(stateOf(data, 'source')?.current?.fit).toBe(0);
    const cached =
      existsSync(join(data, 'sources')) && readdirSync(join(data, 'sources')).some((f) => f.endsWith('.safetensors'));
    expect(cached, 'no source is cached before its training ends').toBe(false);

    const last = runToEnd(args);
    expect(last.code, last.stderr).toBe(0);
    expect(sourceRecord(data)).toEqual(sourceRecord(refData));
    expect(stateOf(data, 'source'), 'removed once the source is cached').toBeUndefined();
  }, 180_000);
});
