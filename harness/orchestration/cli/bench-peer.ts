/**
 * @module `rftbench bench --peer` (= `npm run bench:peer`): ours and PyTorch side by side, one model case at a
 * time (training step, PGD step, inference), then the AutoAttack row (ours vs the official PyTorch AutoAttack on
 * the quick suite's source model), with this process's peak RSS after each section.
 */
import { benchAutoAttackPeer, quickSourceModel, type AutoAttackPeerResult } from '../bench/autoattack-peer.ts';
import { MODEL_CASES } from '../bench/model-steps.ts';
import { benchPeer, type PeerRow } from '../bench/peer.ts';
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
  readonly json: boolean;
}

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

function printStepRows(rows: PeerRow[]): void {
  for (const r of rows) {
    const t = r.torchImagesPerSecond === null ? '-' : r.torchImagesPerSecond.toFixed(1);
    const ratio = r.ratio === null ? '-' : r.ratio.toFixed(2);
    console.log(
      `  ${r.model.padEnd(22)} batch ${String(r.batch).padStart(3)}  ${r.task.padEnd(10)}  ours ${r.oursImagesPerSecond.toFixed(1).padStart(8)}  torch ${t.padStart(8)}  ratio ${ratio}`,
    );
  }
}

function printAutoAttackRow(aa: AutoAttackPeerResult, model: string): void {
  const o = aa.options;
  console.log(
    `\nAutoAttack '${o.version}', Linf ${(o.eps * 255).toFixed(0)}/255, first ${aa.points} test points of the ${model}, ${o.threads} threads:`,
  );
  const side = (name: string, s: AutoAttackPeerResult['ours']) =>
    console.log(
      `  ${name.padEnd(6)} ${s.seconds.toFixed(1).padStart(8)} s  clean ${pct(s.cleanAccuracy).padStart(6)}  robust ${pct(s.robustAccuracy).padStart(6)}  max |delta| ${(s.maxPerturbation * 255).toFixed(2)}/255`,
    );
  side('ours', aa.ours);
  if (aa.torch) {
    side('torch', aa.torch);
    console.log(
      `  ratio (ours' speed / theirs) ${aa.ratio!.toFixed(2)}; official code from ${aa.torch.autoattackPath}`,
    );
  } else console.log(`  PyTorch AutoAttack skipped: ${aa.skipped}`);
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
    const peer = await benchPeer(info.name, info.threads, [c], { time: o.time });
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
  let autoattack: AutoAttackPeerResult | undefined;
  let autoattackModel: string | undefined;
  if (o.aaPoints > 0) {
    const log = (line: string) => console.error(`bench: ${line}`);
    const source = await quickSourceModel(describeEnvironment(info), log);
    try {
      autoattackModel = source.description;
      autoattack = await benchAutoAttackPeer(source.model, source.checkpoint, source.test, {
        n: o.aaPoints,
        eps: AUTOATTACK_PEER_EPS,
        version: 'standard',
        threads: info.threads,
        batchSize: 250, // the reference's default
        seed: 0,
      });
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
