/**
 * @module `npm run bench:peer`: our harness and PyTorch side by side, in one run, on the same models (the
 * small CPU model and ResNet-18 at 32x32), batches and thread count, for a training step, a PGD step and an
 * inference pass; prints ours / PyTorch for each. PyTorch runs `peer/torch_steps.py` under Debian's
 * python3-torch and is skipped, with a message, where it is not installed.
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

/** PyTorch's rows, or the reason it could not run. */
export function torchSteps(
  cases: readonly ModelCase[],
  threads: number,
  seconds: number,
): { rows: Record<string, number>; skipped?: string; version?: string } {
  const PYTHON = process.env.RFTBENCH_PYTHON ?? '/usr/bin/python3';
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status !== 0)
    return {
      rows: {},
      skipped: `PyTorch is not available to ${PYTHON} (apt-get install python3-torch): ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}`,
    };
  const args = cases.map(
    (c) => `${c.name}:${c.spec.arch}:${c.spec.inputShape.join(':')}:${c.spec.numClasses}:${c.batch}`,
  );
  const run = spawnSync(PYTHON, [SCRIPT, String(threads), String(seconds), ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0) return { rows: {}, skipped: `the PyTorch side failed: ${run.stderr.trim().split('\n').pop()}` };
  const rows: Record<string, number> = {};
  for (const line of run.stdout.trim().split('\n')) {
    const r = JSON.parse(line) as { model: string; task: string; imagesPerSecond: number };
    rows[`${r.model}|${r.task}`] = r.imagesPerSecond;
  }
  return { rows, version: probe.stdout.trim() };
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
