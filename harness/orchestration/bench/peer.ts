/**
 * @module `npm run bench:peer`: our harness and PyTorch side by side, in one run, on the same models (the
 * small CPU model, ResNet-18 at 32x32, ResNet-50 at 64x64), batches and thread count, for a training step, a
 * PGD step and an inference pass; each case runs ours then PyTorch, `repeat` times in turn, and prints the
 * medians and the median and range of the per-run ratios ours / PyTorch (one run swings by 10-20% here on a
 * shared host). PyTorch runs `peer/torch_steps.py` under Debian's python3-torch and is skipped, with a
 * message, where it is not installed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchModelSteps, type ModelCase, type ThroughputRow } from './model-steps.ts';

/** The median and range of repeated measurements. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  samples: number[];
}

export function spreadOf(samples: readonly number[]): Spread {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], samples: [...samples] };
}

export interface PeerRow {
  model: string;
  batch: number;
  task: ThroughputRow['task'];
  /** Medians over the runs. */
  oursImagesPerSecond: number;
  torchImagesPerSecond: number | null;
  /** Median of the runs' ours / PyTorch (issue 18's target: >= 1). */
  ratio: number | null;
  /** Each side's images/s and each run's ratio, run by run. */
  ours: Spread;
  torch: Spread | null;
  ratios: Spread | null;
}

const SCRIPT = fileURLToPath(new URL('./peer/torch_steps.py', import.meta.url));

/** The Python that runs the PyTorch side: Debian's, whose python3-torch the peer scripts need. */
export const peerPython = (): string => process.env.RFTBENCH_PYTHON ?? '/usr/bin/python3';

const lastLine = (text: string | undefined): string => (text ?? '').trim().split('\n').pop() ?? '';

/** PyTorch's version, or why `python` cannot import it. */
export function probeTorch(python = peerPython()): { version?: string; skipped?: string } {
  const probe = spawnSync(python, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status === 0) return { version: probe.stdout.trim() };
  return {
    skipped: `PyTorch is not available to ${python} (apt-get install python3-torch): ${lastLine(probe.stderr || probe.error?.message)}`,
  };
}

/** A case as torch_steps.py reads it: NAME:ARCH:H:W:C:CLASSES:BATCH. */
const caseArg = (c: ModelCase) =>
  `${c.name}:${c.spec.arch}:${c.spec.inputShape.join(':')}:${c.spec.numClasses}:${c.batch}`;

/** Runs torch_steps.py and parses its JSON lines, or says why it could not. */
function runScript<T>(args: string[]): { lines: T[]; skipped?: string; version?: string } {
  const torch = probeTorch();
  if (torch.skipped) return { lines: [], skipped: torch.skipped };
  const run = spawnSync(peerPython(), [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (run.status !== 0)
    return { lines: [], skipped: `the PyTorch side failed: ${lastLine(run.stderr || run.error?.message)}` };
  const lines = run.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as T);
  return { lines, version: torch.version };
}

/** Parameter counts of PyTorch's build of each case (its `parameters()`), by case name. */
export function torchParameterCounts(cases: readonly ModelCase[]): {
  counts: Record<string, { parameters: number; tensors: number }>;
  skipped?: string;
} {
  const r = runScript<{ model: string; parameters: number; tensors: number }>(['--count', ...cases.map(caseArg)]);
  const counts = Object.fromEntries(r.lines.map((l) => [l.model, { parameters: l.parameters, tensors: l.tensors }]));
  return { counts, skipped: r.skipped };
}

/** PyTorch's rows, or the reason it could not run. */
export function torchSteps(
  cases: readonly ModelCase[],
  threads: number,
  seconds: number,
): { rows: Record<string, number>; skipped?: string; version?: string } {
  const run = runScript<{ model: string; task: string; imagesPerSecond: number }>([
    String(threads),
    String(seconds),
    ...cases.map(caseArg),
  ]);
  if (run.skipped) return { rows: {}, skipped: run.skipped };
  const rows: Record<string, number> = {};
  for (const r of run.lines) rows[`${r.model}|${r.task}`] = r.imagesPerSecond;
  return { rows, version: run.version };
}

export async function benchPeer(
  backend: string,
  threads: number,
  cases: readonly ModelCase[],
  { time, repeat = 1 }: { time: number; repeat?: number },
): Promise<{ rows: PeerRow[]; torch?: string; skipped?: string }> {
  const ours = new Map<string, { row: ThroughputRow; samples: number[] }>();
  const theirs = new Map<string, number[]>();
  let torch: ReturnType<typeof torchSteps> | undefined;
  for (let run = 0; run < repeat; run++) {
    // Ours first, then PyTorch right after, so both see the same machine state; a ratio pairs the two.
    for (const row of await benchModelSteps(backend, [...cases], { time })) {
      const key = `${row.model}|${row.task}`;
      const entry = ours.get(key) ?? { row, samples: [] };
      entry.samples.push(row.imagesPerSecond);
      ours.set(key, entry);
    }
    torch = torchSteps(cases, threads, Math.max(1, time / 1000));
    if (torch.skipped) continue;
    for (const [key, v] of Object.entries(torch.rows)) theirs.set(key, [...(theirs.get(key) ?? []), v]);
  }
  const rows = [...ours].map(([key, { row, samples }]) => {
    const t = theirs.get(key);
    const paired = t?.length === samples.length ? t : undefined;
    const torchSpread = paired ? spreadOf(paired) : null;
    const ratios = paired ? spreadOf(samples.map((v, i) => v / paired[i])) : null;
    return {
      model: row.model,
      batch: row.batch,
      task: row.task,
      oursImagesPerSecond: spreadOf(samples).median,
      torchImagesPerSecond: torchSpread?.median ?? null,
      ratio: ratios?.median ?? null,
      ours: spreadOf(samples),
      torch: torchSpread,
      ratios,
    };
  });
  return { rows, torch: torch?.version, skipped: torch?.skipped };
}
