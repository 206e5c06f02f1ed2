/**
 * @module `rftbench bench` (= `npm run bench`): throughput of training steps, PGD steps and inference
 * for the small CPU model, ResNet-18 at 32x32 and ResNet-50 at 64x64 on each backend available, the registered
 * kernels, and the load speed of each dataset file format; the process's peak RSS after each section.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Command } from '../command.ts';
import { benchCorruptions, type CorruptionSpeedRow } from '../../bench/corruption-speed.ts';
import { intFlag, parseFlags, UsageError } from '../command.ts';
import { PeakRssLog } from '../../../foundation/util/peak-rss.ts';
import { initBackend } from '../../../foundation/tensor/backend.ts';
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
  const workerCounts = [...new Set(rows.flatMap((r) => r.prefetched.map((p) => p.workers)))];
  console.log(
    `\nBatch pipeline (toBatch with the protocol augmentation), batches of ${rows[0]?.batch ?? 0}: images/s in the ` +
      'training thread, and taken from N prefetch workers by a loop that does nothing else:',
  );
  console.table(
    rows.map((r) => ({
      transform: r.transform,
      'images/s': Math.round(r.imagesPerSecond),
      'ms/batch': Number(r.msPerBatch.toFixed(1)),
      ...Object.fromEntries(
        workerCounts.map((n) => {
          const p = r.prefetched.find((q) => q.workers === n);
          return [`${n} worker${n === 1 ? '' : 's'} images/s`, p ? Math.round(p.imagesPerSecond) : '-'];
        }),
      ),
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
  for (const r of rows)
    console.log(
      `  ${r.corruption.padEnd(18)} ${r.skipped ? `skipped: ${r.skipped}` : r.imagesPerSecond.toFixed(0).padStart(8)}`,
    );
}

const command: Command = {
  name: 'bench',
  summary: 'benchmark training/PGD/inference throughput per backend and the registered kernels',
  usage: `Usage: rftbench bench [--batch N] [--time MS] [--cpu-resnet18] [--datasets-only] [--augment-only] [--peer [--repeat N] [--aa-n N] [--aa-only]] [--eval-workers] [--json]

  --batch N        batch size on the fast backends (default: 128 small model, 32 ResNet-18, 16 ResNet-50)
  --time MS        time budget per task in ms after warm-up (default 3000)
  --cpu-resnet18   also time ResNet-18 on the pure-JS cpu backend (minutes; batch 4)
  --datasets-only  only the dataset format loads (seconds; no models)
  --augment-only   only the batch pipeline (crop + flip at 32 px, random-resized-crop to 224; batches of 128, or
                   --batch), in the training thread and by 1 and 2 prefetch workers, beside the training step
                   saved by the last full bench
  --peer           ours and PyTorch (python3-torch) side by side on the same models, batches and threads,
                   with the ratio ours / PyTorch (npm run bench:peer); then AutoAttack 'standard' (Linf 16/255)
                   on the quick source model, ours vs the official PyTorch one (package autoattack, from
                   PYTHONPATH or RFTBENCH_AUTOATTACK_PATH; skipped with the reason where not importable)
  --repeat N       with --peer: runs of each side, in turn, per row (default 3); prints medians and the range
                   of the runs' ratios
  --aa-n N         points of --peer's AutoAttack row (default 200 Fashion-MNIST test points; 0 leaves it out)
  --aa-only        with --peer: the AutoAttack row alone
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
      'aa-n': { type: 'string' },
      'aa-only': { type: 'boolean', default: false },
      repeat: { type: 'string' },
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
      const augment = await benchAugmentation({ time: Math.min(time, 1000), batch: batch ?? 128 });
      const saved = savedReferenceThroughput(info.name)?.imagesPerSecond;
      if (values.json)
        console.log(
          JSON.stringify({ environment: info, augmentation: augment, resnet18TrainStep: saved ?? null }, null, 2),
        );
      else printAugmentRows(augment, saved);
      return 0;
    }
    if (values.peer) {
      const { runBenchPeer } = await import('../bench-peer.ts');
      const aaPoints = intFlag(values['aa-n'], '--aa-n', 200);
      if (values['aa-only'] && aaPoints === 0) throw new UsageError('--aa-only with --aa-n 0 leaves nothing to run');
      const repeat = intFlag(values.repeat, '--repeat', 3);
      if (repeat < 1) throw new UsageError('--repeat must be at least 1');
      return runBenchPeer(info, { batch, time, aaPoints, repeat, stepRows: !values['aa-only'], json: values.json });
    }
    if (values['eval-workers']) {
      const { benchEvaluationWorkers } = await import('../../bench/eval-workers.ts');
      const { evaluationWorkers } = await import('../../evaluate/workers/attack-pool.ts');
      // The CIFAR-sized cases: ResNet-50's PGD-10 evaluation, twice, would take minutes.
      const cases = MODEL_CASES.filter((c) => c.spec.arch !== 'resnet50').map((c) => ({
        ...c,
        batch: batch ?? c.batch,
      }));
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
    if (values['aa-n'] !== undefined || values['aa-only'] || values.repeat !== undefined)
      throw new UsageError('--aa-n, --aa-only and --repeat set the rows of --peer; add --peer');
    console.error(
      `bench: ${info.name} with ${info.threads} threads; custom kernels: ${info.customKernels.join(', ') || 'none'}`,
    );
    const memory = new PeakRssLog();
    const mark = (section: string) => console.error(`bench: ${memory.mark(section)}`);
    rows.push(...(await benchModelSteps(info.name, MODEL_CASES, { batch, time })));
    mark(`model steps (${info.name})`);
    // Kept for `rftbench run --dry-run --estimate` (hours from this machine's throughput).
    console.error(`bench: throughput saved to ${saveThroughput(rows, { backend: info.name, threads: info.threads })}`);
    if (info.name !== 'cpu') {
      await tf.setBackend('cpu');
      rows.push(...(await benchModelSteps('cpu', [MODEL_CASES[0]], { batch: 4, time: 1 })));
      if (values['cpu-resnet18']) rows.push(...(await benchModelSteps('cpu', [MODEL_CASES[1]], { batch: 4, time: 1 })));
      await tf.setBackend(info.name === 'wasm' ? 'wasm' : tf.getBackend());
      mark('model steps (cpu)');
    }
    const { benchAttackCost } = await import('../../bench/attack-cost.ts');
    const attackRows = await benchAttackCost(MODEL_CASES[0], { batch: batch ?? MODEL_CASES[0].batch, time });
    mark('attack cost');
    let kernelRows: unknown[] = [];
    if (info.name === 'wasm') {
      const { benchKernels } = await import('../../../foundation/tensor/bench-kernels.ts');
      kernelRows = await benchKernels();
      mark('kernels');
    }
    const augment = await benchAugmentation({ time: Math.min(time, 1000) });
    mark('batch pipeline');
    const formats = await benchDatasetFormats({ time: Math.min(time, 1000) });
    mark('dataset formats');
    const corruptions = await benchCorruptions({ time: Math.min(time, 300) });
    mark('corruptions');
    if (values.json) {
      const all = {
        environment: info,
        throughput: rows,
        augmentation: augment,
        attackCost: attackRows,
        kernels: kernelRows,
        datasetFormats: formats,
        corruptions,
        peakRss: memory.sections,
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
    console.log('\nPeak RSS of this process after each section (a high-water mark: it never falls):');
    for (const m of memory.sections) console.log(`  ${m.section.padEnd(22)} ${String(m.peakRssMiB).padStart(6)} MiB`);
    return 0;
  },
};

export default command;
