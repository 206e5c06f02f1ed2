/**
 * @module `npm run bench:peer`: our harness and PyTorch side by side, in one run, on the same models (the
 * small CPU model, ResNet-18 at 32x32, ResNet-50 at 64x64), batches and thread count, for a training step, a
 * PGD step and an inference pass; prints ours / PyTorch for each. PyTorch runs `peer/torch_steps.py` under
 * Debian's python3-torch and is skipped, with a message, where it is not installed.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchModelSteps, type ModelCase, type ThroughputRow } from './model-steps.ts';

export interface PeerRow {
  model: string;
  batch: number;
  task: ThroughputRow['task'];
  oursImagesPerSecond: number;
  torchImagesPerSecond: number | null;
  /** ours / PyTorch (>= 0.5 is issue 8's target for training and PGD). */
  ratio: number | null;
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
  { time }: { time: number },
): Promise<{ rows: PeerRow[]; torch?: string; skipped?: string }> {
  // Ours first, then PyTorch right after, so both see the same machine state.
  const ours = await benchModelSteps(backend, [...cases], { time });
  const torch = torchSteps(cases, threads, Math.max(1, time / 1000));
  const rows = ours.map((r) => {
    const t = torch.rows[`${r.model}|${r.task}`] ?? null;
    return {
      model: r.model,
      batch: r.batch,
      task: r.task,
      oursImagesPerSecond: r.imagesPerSecond,
      torchImagesPerSecond: t,
      ratio: t ? r.imagesPerSecond / t : null,
    };
  });
  return { rows, torch: torch.version, skipped: torch.skipped };
}
