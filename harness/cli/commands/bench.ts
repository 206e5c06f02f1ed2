/**
 * @module `rftbench bench` (= `npm run bench`): throughput of training steps, PGD steps and inference
 * for the small CPU model and ResNet-18 at 32x32 on each backend available, the registered kernels,
 * and the load speed of each dataset file format.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Command } from '../command.ts';
import { benchCorruptions, type CorruptionSpeedRow } from '../../bench/corruption-speed.ts';
import { intFlag, parseFlags } from '../command.ts';
import { initBackend } from '../../tensor/backend.ts';
import { benchModelSteps, MODEL_CASES, type ThroughputRow } from '../../bench/model-steps.ts';
import { benchDatasetFormats, type FormatRow } from '../../bench/dataset-formats.ts';
import {
  REFERENCE_CASE,
  REFERENCE_TASK,
  saveThroughput,
  savedReferenceThroughput,
} from '../../bench/saved-throughput.ts';
import { benchAugmentation, trainingStepFor, type AugmentSpeedRow } from '../../bench/augment-speed.ts';

function printFormatRows(rows: FormatRow[]): void {
  console.table(
    rows.map((r) => ({
      format: r.format,
      'images/s': Math.round(r.imagesPerSecond),
      'MB/s out': Number(r.mbPerSecond.toFixed(1)),
      'ms/load': Number(r.msPerLoad.toFixed(1)),
      samples: r.samples,
    })),
  );
}

function printRows(rows: ThroughputRow[]): void {
  console.table(
    rows.map((r) => ({
      backend: r.backend,
      model: r.model,
      batch: r.batch,
      task: r.task,
      'images/s': Number(r.imagesPerSecond.toFixed(1)),
      'ms/batch': Number(r.msPerBatch.toFixed(1)),
      samples: r.samples,
    })),
  );
}

/** The augmentation rows beside the training step their batches feed (ResNet-50 at 224: carried over by MACs). */
function printAugmentRows(rows: AugmentSpeedRow[], resnet18PerSecond: number | undefined): void {
  const steps = resnet18PerSecond === undefined ? undefined : trainingStepFor(rows, resnet18PerSecond);
  console.log(
    `\nBatch pipeline (toBatch with the protocol augmentation, one thread), batches of ${rows[0]?.batch ?? 0}:`,
  );
  console.table(
    rows.map((r) => ({
      transform: r.transform,
      'images/s': Math.round(r.imagesPerSecond),
      'ms/batch': Number(r.msPerBatch.toFixed(1)),
      feeds: r.feeds,
      'train step images/s': steps ? Number(steps.get(r.feeds)!.toFixed(1)) : '-',
    })),
  );
  if (!steps)
    console.log('  (no ResNet-18 training step measured on this backend: run rftbench bench for the comparison)');
  else
    console.log(
      '  train step: ResNet-18 32x32 as measured here; ResNet-50 224 carried over by multiply-adds (an estimate)',
    );
}

function printCorruptionRows(rows: CorruptionSpeedRow[]): void {
  console.log('\nCorruptions, 32x32x3 images per second (severity 3):');
  for (const r of rows) console.log(`  ${r.corruption.padEnd(18)} ${r.imagesPerSecond.toFixed(0).padStart(8)}`);
}

const command: Command = {
  name: 'bench',
  summary: 'benchmark training/PGD/inference throughput per backend and the registered kernels',
  usage: `Usage: rftbench bench [--batch N] [--time MS] [--cpu-resnet18] [--datasets-only] [--augment-only] [--peer] [--eval-workers] [--json]

  --batch N        batch size on the fast backends (default: 128 small model, 32 ResNet-18)
  --time MS        time budget per task in ms after warm-up (default 3000)
  --cpu-resnet18   also time ResNet-18 on the pure-JS cpu backend (minutes; batch 4)
  --datasets-only  only the dataset format loads (seconds; no models)
  --augment-only   only the batch pipeline (crop + flip at 32 px, random-resized-crop to 224; batches of 128),
                   beside the training step saved by the last full bench
  --peer           ours and PyTorch (python3-torch) side by side on the same models, batches and threads,
                   with the ratio ours / PyTorch (npm run bench:peer)
  --eval-workers   PGD-10 evaluation in this thread against the worker pool (one worker per core), with
                   images/s and whether both give the same results
  --json           print rows as JSON

The cpu backend (pure JS, a last resort) runs the small model at batch 4 unless asked for more.
Example: npm run bench`,
  async run(argv) {
    const { values } = parseFlags(argv, {
      batch: { type: 'string' },
      time: { type: 'string' },
      'cpu-resnet18': { type: 'boolean', default: false },
      'datasets-only': { type: 'boolean', default: false },
      'augment-only': { type: 'boolean', default: false },
      peer: { type: 'boolean', default: false },
      'eval-workers': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    });

    const batch = values.batch === undefined ? undefined : intFlag(values.batch, '--batch', 128);
    const time = intFlag(values.time, '--time', 3000);
    if (values['datasets-only']) {
      const formats = await benchDatasetFormats({ time: Math.min(time, 1000) });
      const corruptions = await benchCorruptions({ time: Math.min(time, 300) });
      if (values.json) console.log(JSON.stringify({ datasetFormats: formats, corruptions }, null, 2));
      else {
        printFormatRows(formats);
        printCorruptionRows(corruptions);
      }
      return 0;
    }
    const rows: ThroughputRow[] = [];
    const info = await initBackend();
    if (values['augment-only']) {
      const augment = await benchAugmentation({ time: Math.min(time, 1000) });
      const saved = savedReferenceThroughput(info.name)?.imagesPerSecond;
      if (values.json)
        console.log(
          JSON.stringify({ environment: info, augmentation: augment, resnet18TrainStep: saved ?? null }, null, 2),
        );
      else printAugmentRows(augment, saved);
      return 0;
    }
    if (values.peer) {
      const { benchPeer } = await import('../../bench/peer.ts');
      const cases = MODEL_CASES.map((c) => ({ ...c, batch: batch ?? c.batch }));
      const peer = await benchPeer(info.name, info.threads, cases, { time });
      if (values.json)
        console.log(
          JSON.stringify({ environment: info, torch: peer.torch, skipped: peer.skipped, peer: peer.rows }, null, 2),
        );
      else {
        console.log(
          `ours: ${info.name}, ${info.threads} threads; PyTorch ${peer.torch ?? '(skipped)'}, ${info.threads} threads`,
        );
        if (peer.skipped) console.log(`PyTorch skipped: ${peer.skipped}`);
        for (const r of peer.rows) {
          const t = r.torchImagesPerSecond === null ? '-' : r.torchImagesPerSecond.toFixed(1);
          console.log(
            `  ${r.model.padEnd(22)} batch ${String(r.batch).padStart(3)}  ${r.task.padEnd(10)}  ours ${r.oursImagesPerSecond.toFixed(1).padStart(8)}  torch ${t.padStart(8)}  ratio ${r.ratio === null ? '-' : r.ratio.toFixed(2)}`,
          );
        }
      }
      return 0;
    }
    if (values['eval-workers']) {
      const { benchEvaluationWorkers } = await import('../../bench/eval-workers.ts');
      const { evaluationWorkers } = await import('../../evaluate/workers/attack-pool.ts');
      const cases = MODEL_CASES.map((c) => ({ ...c, batch: batch ?? c.batch }));
      const evalRows = await benchEvaluationWorkers(cases, {
        workers: Math.max(2, evaluationWorkers()),
        threads: info.threads,
      });
      if (values.json) console.log(JSON.stringify({ environment: info, evaluationWorkers: evalRows }, null, 2));
      else {
        console.log('PGD-10 evaluation (Linf 8/255), images/s:');
        for (const r of evalRows)
          console.log(
            `  ${r.model.padEnd(22)} ${r.mode.padEnd(32)} ${r.imagesPerSecond.toFixed(1).padStart(8)}  ${r.points} points  same results: ${r.sameResults ? 'yes' : 'NO'}`,
          );
      }
      return 0;
    }
    console.error(
      `bench: ${info.name} with ${info.threads} threads; custom kernels: ${info.customKernels.join(', ') || 'none'}`,
    );
    rows.push(...(await benchModelSteps(info.name, MODEL_CASES, { batch, time })));
    // Kept for `rftbench run --dry-run --estimate` (hours from this machine's throughput).
    console.error(`bench: throughput saved to ${saveThroughput(rows, { backend: info.name, threads: info.threads })}`);
    if (info.name !== 'cpu') {
      await tf.setBackend('cpu');
      rows.push(...(await benchModelSteps('cpu', [MODEL_CASES[0]], { batch: 4, time: 1 })));
      if (values['cpu-resnet18']) rows.push(...(await benchModelSteps('cpu', [MODEL_CASES[1]], { batch: 4, time: 1 })));
      await tf.setBackend(info.name === 'wasm' ? 'wasm' : tf.getBackend());
    }
    const { benchAttackCost } = await import('../../bench/attack-cost.ts');
    const attackRows = await benchAttackCost(MODEL_CASES[0], { batch: batch ?? MODEL_CASES[0].batch, time });
    let kernelRows: unknown[] = [];
    if (info.name === 'wasm') {
      const { benchKernels } = await import('../../tensor/bench-kernels.ts');
      kernelRows = await benchKernels();
    }
    const augment = await benchAugmentation({ time: Math.min(time, 1000) });
    const formats = await benchDatasetFormats({ time: Math.min(time, 1000) });
    const corruptions = await benchCorruptions({ time: Math.min(time, 300) });
    if (values.json) {
      const all = {
        environment: info,
        throughput: rows,
        augmentation: augment,
        attackCost: attackRows,
        kernels: kernelRows,
        datasetFormats: formats,
        corruptions,
      };
      console.log(JSON.stringify(all, null, 2));
      return 0;
    }
    printRows(rows);
    const resnet18 = rows.find(
      (r) => r.backend === info.name && r.model === REFERENCE_CASE.name && r.task === REFERENCE_TASK,
    );
    printAugmentRows(augment, resnet18?.imagesPerSecond);
    console.log('\nAttack cost per iteration, relative to one forward+backward on the same batch:');
    console.table(
      attackRows.map((r) => ({
        ...r,
        msPerIteration: Number(r.msPerIteration.toFixed(1)),
        relativeToGradient: Number(r.relativeToGradient.toFixed(2)),
      })),
    );
    if (kernelRows.length) console.table(kernelRows);
    printFormatRows(formats);
    printCorruptionRows(corruptions);
    return 0;
  },
};

export default command;
