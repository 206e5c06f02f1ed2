/**
 * @module bench:peer's AutoAttack row: our AutoAttack and the official PyTorch one (fra31/auto-attack, run by
 * `peer/torch_autoattack.py`) on the same checkpoint, the same first n test points, the same eps, version and
 * thread count; seconds and robust accuracy of each side and the speed ratio (ours / theirs). The PyTorch side
 * is skipped, with the reason, where python3-torch or the `autoattack` package is not importable.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AutoAttackVersion } from '../../../attacks/autoattack.ts';
import type { DataSplit } from '../../../datasets/types.ts';
import { encodeSafetensors } from '../../foundation/checkpoint/safetensors.ts';
import { evaluateAutoAttack } from '../evaluate/autoattack-metric.ts';
import type { Classifier } from '../../foundation/models/classifier.ts';
import { ensureSource, loadSourceModel } from '../pretrain/sources.ts';
import { isExternalSource } from '../../protocol/schema.ts';
import { loadSuite } from '../../protocol/suites.ts';
import type { Environment } from '../run/provenance.ts';
import { getDataset } from '../../../datasets/registry.ts';
import { peerPython, probeTorch } from './peer.ts';

const SCRIPT = fileURLToPath(new URL('./peer/torch_autoattack.py', import.meta.url));
/** torch_autoattack.py's exit status when the `autoattack` package is not importable. */
const NOT_IMPORTABLE = 3;

export interface AutoAttackPeerOptions {
  /** The first n test points. */
  readonly n: number;
  /** Linf radius. */
  readonly eps: number;
  readonly version: Exclude<AutoAttackVersion, 'custom'>;
  /** Threads of each side: our backend's (set before the call) and torch.set_num_threads. */
  readonly threads: number;
  readonly batchSize: number;
  readonly seed: number;
}

export interface AutoAttackSide {
  /** The evaluation alone (no model loading). */
  readonly seconds: number;
  readonly cleanAccuracy: number;
  readonly robustAccuracy: number;
  readonly maxPerturbation: number;
}

export interface TorchAutoAttackSide extends AutoAttackSide {
  readonly torchVersion: string;
  readonly autoattackPath: string;
  /** PyTorch's class for each clean point: equal to ours when the rebuilt model is ours. */
  readonly cleanPredictions: number[];
}

export interface AutoAttackPeerResult {
  readonly points: number;
  readonly options: AutoAttackPeerOptions;
  readonly ours: AutoAttackSide;
  readonly torch?: TorchAutoAttackSide;
  readonly skipped?: string;
  /** Ours' speed / theirs (= their seconds / ours); null when PyTorch was skipped. */
  readonly ratio: number | null;
}

/** Our AutoAttack (the harness's metric entry point, in this thread) on the first n points of `test`. */
export async function oursAutoAttack(
  model: Classifier,
  test: DataSplit,
  o: AutoAttackPeerOptions,
): Promise<AutoAttackSide> {
  model.eval();
  const started = performance.now();
  const { metric, report } = await evaluateAutoAttack((x) => model.forward(x), test, {
    threat: { norm: 'Linf', eps: o.eps },
    config: { version: o.version, n: o.n, batchSize: o.batchSize },
    seed: o.seed,
  });
  return {
    seconds: (performance.now() - started) / 1000,
    cleanAccuracy: report.cleanAccuracy,
    robustAccuracy: metric.value,
    maxPerturbation: report.maxPerturbation,
  };
}

/** The first n points as torch_autoattack.py reads them: `images` uint8 NHWC and `labels` int32. */
function pointsFile(test: DataSplit, n: number): Uint8Array {
  if (test.pipeline)
    throw new Error('bench:peer AutoAttack: the test split has a batch pipeline; the PyTorch side reads raw pixels');
  const [h, w, c] = test.shape;
  const images = test.images.slice(0, n * h * w * c);
  const labels = Int32Array.from(test.labels.subarray(0, n));
  return encodeSafetensors(
    new Map([
      ['images', { dtype: 'U8', shape: [n, h, w, c], data: images }],
      ['labels', { dtype: 'I32', shape: [n], data: new Uint8Array(labels.buffer) }],
    ]),
    {},
  );
}

/** The official AutoAttack on `checkpoint` (an rftbench safetensors file with its spec), or why it could not run. */
export function torchAutoAttack(
  checkpoint: string,
  test: DataSplit,
  o: AutoAttackPeerOptions,
): { side?: TorchAutoAttackSide; skipped?: string } {
  const torch = probeTorch();
  if (torch.skipped) return { skipped: torch.skipped };
  const dir = mkdtempSync(join(tmpdir(), 'rftbench-aa-peer-'));
  try {
    const points = join(dir, 'points.safetensors');
    writeFileSync(points, pointsFile(test, Math.min(o.n, test.n)));
    const args = [checkpoint, points, o.threads, o.eps, o.version, o.batchSize, o.seed].map(String);
    const run = spawnSync(peerPython(), [SCRIPT, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const why = (run.stderr || run.error?.message || '').trim().split('\n').pop();
    if (run.status === NOT_IMPORTABLE) return { skipped: why };
    if (run.status !== 0) return { skipped: `the PyTorch AutoAttack failed (status ${run.status}): ${why}` };
    const r = JSON.parse(run.stdout.trim().split('\n').pop()!) as AutoAttackSide & {
      torch: string;
      autoattackPath: string;
      cleanPredictions: number[];
    };
    return {
      side: {
        seconds: r.seconds,
        cleanAccuracy: r.cleanAccuracy,
        robustAccuracy: r.robustAccuracy,
        maxPerturbation: r.maxPerturbation,
        torchVersion: r.torch,
        autoattackPath: r.autoattackPath,
        cleanPredictions: r.cleanPredictions,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ours, then PyTorch right after on the same machine state: `model` must be the weights in `checkpoint`. */
export async function benchAutoAttackPeer(
  model: Classifier,
  checkpoint: string,
  test: DataSplit,
  o: AutoAttackPeerOptions,
): Promise<AutoAttackPeerResult> {
  const points = Math.min(o.n, test.n);
  const ours = await oursAutoAttack(model, test, o);
  const torch = torchAutoAttack(checkpoint, test, o);
  return {
    points,
    options: o,
    ours,
    torch: torch.side,
    skipped: torch.skipped,
    ratio: torch.side ? torch.side.seconds / ours.seconds : null,
  };
}

/**
 * The quick suite's source model (pre-trained and cached first when absent, about a minute) with its file and
 * its dataset's test split (Fashion-MNIST classes 0-4): the model `rftbench run --suite quick` fine-tunes.
 */
export async function quickSourceModel(
  environment: Environment,
  log: (line: string) => void,
): Promise<{ model: Classifier; checkpoint: string; test: DataSplit; description: string }> {
  const source = loadSuite('quick').tasks[0].source;
  if (isExternalSource(source)) throw new Error("bench:peer AutoAttack: the quick suite's source is not a recipe");
  const handle = await ensureSource(source, { environment, log });
  const test = await getDataset(source.dataset).load('test');
  return {
    model: loadSourceModel(handle, 0),
    checkpoint: handle.path,
    test,
    description: `quick source ${handle.id} (${source.arch}, ${source.recipe} on ${source.dataset})`,
  };
}
