/**
 * @module `rftbench bench --peer` (= `npm run bench:peer`): ours and PyTorch side by side, one model case at a
 * time (training step, PGD step, inference), then the AutoAttack row (ours vs the official PyTorch AutoAttack on
 * the quick suite's source model), each `repeat` times in turn, with medians, the range of the per-run ratios,
 * and this process's peak RSS after each section.
 */
import { benchAutoAttackPeer, quickSourceModel, type AutoAttackPeerResult } from '../bench/autoattack-peer.ts';
import { MODEL_CASES } from '../bench/model-steps.ts';
import { benchPeer, spreadOf, type PeerRow, type Spread } from '../bench/peer.ts';
import { describeEnvironment } from '../run/provenance.ts';
import type { BackendInfo } from '../../foundation/tensor/backend.ts';
import { PeakRssLog } from '../../foundation/util/peak-rss.ts';

/** AutoAttack's radius in the row: 16/255, so the quick source (trained at 8/255) has points to lose. */
export const AUTOATTACK_PEER_EPS = 16 / 255;

export interface BenchPeerOptions {
  /** Batch override for every model case. */
  readonly batch?: number;
  /** Time budget per task in ms. */
  readonly time: number;
  /** Points of the AutoAttack row; 0 leaves the row out. */
  readonly aaPoints: number;
  /** The training-step, PGD-step and inference rows (false: the AutoAttack row alone). */
  readonly stepRows: boolean;
  /** Runs of each side, in turn, for every row. */
  readonly repeat: number;
  readonly json: boolean;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** `0.91 [0.88-0.95]`: the median ratio and the range of the runs' ratios. */
const ratioText = (r: Spread | null) =>
  r === null ? '-' : `${r.median.toFixed(2)} [${r.min.toFixed(2)}-${r.max.toFixed(2)}]`;

function printStepRows(rows: PeerRow[]): void {
  for (const r of rows) {
    const t = r.torchImagesPerSecond === null ? '-' : r.torchImagesPerSecond.toFixed(1);
    console.log(
      `  ${r.model.padEnd(22)} batch ${String(r.batch).padStart(3)}  ${r.task.padEnd(10)}  ours ${r.oursImagesPerSecond.toFixed(1).padStart(8)}  torch ${t.padStart(8)}  ratio ${ratioText(r.ratios)}`,
    );
  }
}

/** The runs of the AutoAttack row: medians of each side's seconds and of the ratios. */
export interface AutoAttackPeerRuns {
  readonly runs: AutoAttackPeerResult[];
  readonly oursSeconds: Spread;
  readonly torchSeconds: Spread | null;
  readonly ratios: Spread | null;
}

function summariseRuns(runs: AutoAttackPeerResult[]): AutoAttackPeerRuns {
  const torch = runs.every((r) => r.torch) ? runs.map((r) => r.torch!.seconds) : null;
  const ratios = runs.every((r) => r.ratio !== null) ? runs.map((r) => r.ratio!) : null;
  return {
    runs,
    oursSeconds: spreadOf(runs.map((r) => r.ours.seconds)),
    torchSeconds: torch && spreadOf(torch),
    ratios: ratios && spreadOf(ratios),
  };
}

function printAutoAttackRow(all: AutoAttackPeerRuns, model: string): void {
  const aa = all.runs[0];
  const o = aa.options;
  console.log(
    `\nAutoAttack '${o.version}', Linf ${(o.eps * 255).toFixed(0)}/255, first ${aa.points} test points of the ${model}, ${o.threads} threads, ${all.runs.length} run(s):`,
  );
  const side = (name: string, s: AutoAttackPeerResult['ours'], seconds: Spread) =>
    console.log(
      `  ${name.padEnd(6)} ${seconds.median.toFixed(1).padStart(8)} s [${seconds.min.toFixed(1)}-${seconds.max.toFixed(1)}]  clean ${pct(s.cleanAccuracy).padStart(6)}  robust ${pct(s.robustAccuracy).padStart(6)}  max |delta| ${(s.maxPerturbation * 255).toFixed(2)}/255`,
    );
  side('ours', aa.ours, all.oursSeconds);
  // Both sides are deterministic for the seed: a run whose accuracies differ from the first is worth a look.
  const differs = all.runs.some(
    (r) => r.ours.robustAccuracy !== aa.ours.robustAccuracy || r.torch?.robustAccuracy !== aa.torch?.robustAccuracy,
  );
  if (aa.torch && all.torchSeconds) {
    side('torch', aa.torch, all.torchSeconds);
    console.log(
      `  ratio (ours' speed / theirs) ${ratioText(all.ratios)}; official code from ${aa.torch.autoattackPath}`,
    );
  } else console.log(`  PyTorch AutoAttack skipped: ${aa.skipped}`);
  if (differs) console.log('  note: the runs did not all give the same robust accuracy');
}

export async function runBenchPeer(info: BackendInfo, o: BenchPeerOptions): Promise<number> {
  const memory = new PeakRssLog();
  const cases = MODEL_CASES.map((c) => ({ ...c, batch: o.batch ?? c.batch }));
  if (!o.json)
    console.log(`ours: ${info.name}, ${info.threads} threads; PyTorch with ${info.threads} threads (peak RSS: ours)`);
  const rows: PeerRow[] = [];
  let torch: string | undefined;
  let skipped: string | undefined;
  for (const c of o.stepRows ? cases : []) {
    const peer = await benchPeer(info.name, info.threads, [c], { time: o.time, repeat: o.repeat });
    rows.push(...peer.rows);
    torch ??= peer.torch;
    const line = memory.mark(c.name);
    if (!o.json) {
      // The reason once: it is the same for every case.
      if (peer.skipped && peer.skipped !== skipped) console.log(`PyTorch skipped: ${peer.skipped}`);
      printStepRows(peer.rows);
      console.log(`  ${line}`);
    }
    skipped ??= peer.skipped;
  }
  if (!o.json && torch) console.log(`  (PyTorch ${torch})`);
  let autoattack: AutoAttackPeerRuns | undefined;
  let autoattackModel: string | undefined;
  if (o.aaPoints > 0) {
    const log = (line: string) => console.error(`bench: ${line}`);
    const source = await quickSourceModel(describeEnvironment(info), log);
    try {
      autoattackModel = source.description;
      const runs: AutoAttackPeerResult[] = [];
      for (let run = 0; run < o.repeat; run++)
        runs.push(
          await benchAutoAttackPeer(source.model, source.checkpoint, source.test, {
            n: o.aaPoints,
            eps: AUTOATTACK_PEER_EPS,
            version: 'standard',
            threads: info.threads,
            batchSize: 250, // the reference's default
            seed: 0,
          }),
        );
      autoattack = summariseRuns(runs);
    } finally {
      source.model.dispose();
    }
    const line = memory.mark('AutoAttack');
    if (!o.json) {
      printAutoAttackRow(autoattack, autoattackModel);
      console.log(`  ${line}`);
    }
  }
  if (o.json)
    console.log(
      JSON.stringify(
        { environment: info, torch, skipped, peer: rows, autoattack, autoattackModel, peakRss: memory.sections },
        null,
        2,
      ),
    );
  return 0;
}
