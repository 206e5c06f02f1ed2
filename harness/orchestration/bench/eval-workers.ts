/**
 * @module `rftbench bench --eval-workers`: PGD-10 evaluation throughput in this thread (the backend's
 * threads) against the worker pool (one worker per core, one backend thread each), on the small model
 * and ResNet-18, with a check that both give the same robust flags. Issue 8 asks for whichever is faster;
 * the pool's workers are started before timing (a run keeps them for all its evaluations).
 */
import { Rng } from '../../foundation/rng.ts';
import { attackAccuracyInWorkers, type PoolOptions } from '../evaluate/workers/attack-pool.ts';
import { buildModel } from '../../foundation/models/zoo.ts';
import type { ModelCase } from './model-steps.ts';

export interface EvalWorkersRow {
  model: string;
  mode: string;
  points: number;
  imagesPerSecond: number;
  /** Robust flags, counts and perturbation stats equal to the in-thread evaluation. */
  sameResults: boolean;
}

export async function benchEvaluationWorkers(
  cases: readonly ModelCase[],
  { workers, threads, batchesPerWorker = 3 }: { workers: number; threads: number; batchesPerWorker?: number },
): Promise<EvalWorkersRow[]> {
  const rows: EvalWorkersRow[] = [];
  for (const c of cases) {
    const model = buildModel(c.spec, 1);
    model.eval();
    const [h, w, ch] = c.spec.inputShape;
    const n = c.batch * workers * batchesPerWorker;
    const rng = new Rng(9);
    const test = {
      images: Uint8Array.from({ length: n * h * w * ch }, () => rng.int(256)),
      labels: Int32Array.from({ length: n }, () => rng.int(c.spec.numClasses)),
      n,
      shape: c.spec.inputShape,
    };
    const eps = 8 / 255;
    const opts = (k: number, points = n): PoolOptions => ({
      n: points,
      batchSize: c.batch,
      attack: { id: 'pgd', options: { norm: 'Linf', eps, alpha: eps / 4, steps: 10, restarts: 1, randomStart: true } },
      threat: { norm: 'Linf', eps },
      seed: 1,
      workers: k,
    });
    try {
      // Start the workers (and compile their kernels) on a small evaluation first.
      await attackAccuracyInWorkers(model, test, opts(workers, c.batch * workers));
      let t0 = performance.now();
      const inThread = await attackAccuracyInWorkers(model, test, opts(1));
      const inThreadSeconds = (performance.now() - t0) / 1000;
      t0 = performance.now();
      const pooled = await attackAccuracyInWorkers(model, test, opts(workers));
      const pooledSeconds = (performance.now() - t0) / 1000;
      const same =
        pooled.robust === inThread.robust &&
        pooled.clean === inThread.clean &&
        pooled.robustFlags.every((f, i) => f === inThread.robustFlags[i]) &&
        JSON.stringify(pooled.stats) === JSON.stringify(inThread.stats);
      rows.push({
        model: c.name,
        mode: `this thread, ${threads} backend threads`,
        points: n,
        imagesPerSecond: n / inThreadSeconds,
        sameResults: true,
      });
      rows.push({
        model: c.name,
        mode: `${workers} workers x 1 backend thread`,
        points: n,
        imagesPerSecond: n / pooledSeconds,
        sameResults: same,
      });
    } finally {
      model.dispose();
    }
  }
  return rows;
}
