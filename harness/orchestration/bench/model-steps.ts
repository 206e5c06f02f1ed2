/**
 * @module Training-step and PGD-step throughput (images/second) of the zoo models on each backend
 * available here, measured with tinybench after a warm-up (the first wasm step costs ~2x).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import { pgd } from '../../../attacks/pgd.ts';
import { buildModel } from '../../foundation/models/zoo.ts';
import type { ModelSpec } from '../../foundation/models/classifier.ts';
import { crossEntropy } from '../../foundation/nn/losses.ts';
import { sgd } from '../train/optimizer.ts';

export interface ThroughputRow {
  backend: string;
  model: string;
  batch: number;
  task: 'train step' | 'PGD step' | 'inference';
  imagesPerSecond: number;
  msPerBatch: number;
  samples: number;
}

export interface ModelCase {
  name: string;
  spec: ModelSpec;
  /** Batch on the fast backends: ResNet steps take seconds on 2 cores, so a smaller batch keeps the bench short. */
  batch: number;
}

export const MODEL_CASES: ModelCase[] = [
  {
    name: 'small-resnet 28x28x1',
    batch: 128,
    spec: { arch: 'small-resnet', numClasses: 10, inputShape: [28, 28, 1], mean: [0.286], std: [0.353] },
  },
  {
    name: 'resnet18 32x32x3',
    batch: 32,
    spec: {
      arch: 'resnet18',
      numClasses: 10,
      inputShape: [32, 32, 3],
      mean: [0.4914, 0.4822, 0.4465],
      std: [0.2471, 0.2435, 0.2616],
    },
  },
  {
    // The ImageNet-style ResNet-50 (7x7/2 stem, max-pool, bottlenecks) at Tiny-ImageNet's size and classes.
    name: 'resnet50 64x64x3',
    batch: 16,
    spec: {
      arch: 'resnet50',
      numClasses: 200,
      inputShape: [64, 64, 3],
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    },
  },
];

export async function benchModelSteps(
  backend: string,
  cases: ModelCase[],
  { batch: batchOverride, time }: { batch?: number; time: number },
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  for (const c of cases) {
    const batch = batchOverride ?? c.batch;
    const model = buildModel(c.spec, 1);
    const optimizer = sgd(model, { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
    const [h, w, ch] = c.spec.inputShape;
    const x = tf.randomUniform([batch, h, w, ch], 0, 1, 'float32', 7) as tf.Tensor4D;
    const y = tf.tensor1d(
      Array.from({ length: batch }, (_, i) => i % c.spec.numClasses),
      'int32',
    );
    const oneStep = pgd({ eps: 8 / 255, alpha: 2 / 255, steps: 1, randomStart: false, restarts: 1, norm: 'Linf' });
    const bench = new Bench({
      name: `${backend} ${c.name}`,
      time,
      warmup: true,
      warmupIterations: 1,
      warmupTime: 0,
      iterations: 2,
      throws: true,
    });
    bench
      .add('train step', () => {
        model.train();
        optimizer.minimize(() => crossEntropy(model.forward(x), y));
      })
      .add('PGD step', () => {
        model.eval();
        tf.dispose(oneStep.run((z) => model.forward(z), x, y, 3).xAdv);
      })
      .add('inference', () => {
        model.eval();
        tf.tidy(() => model.forward(x).dataSync());
      });
    await bench.run();
    for (const task of bench.tasks) {
      const r = task.result;
      if (r.state !== 'completed') continue;
      const ms = r.latency.mean;
      rows.push({
        backend,
        model: c.name,
        batch,
        task: task.name as ThroughputRow['task'],
        imagesPerSecond: (batch * 1000) / ms,
        msPerBatch: ms,
        samples: r.latency.samplesCount,
      });
    }
    optimizer.dispose();
    model.dispose();
    tf.dispose([x, y]);
  }
  return rows;
}
