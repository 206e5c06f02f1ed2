// Per-kernel profile of one training step (tf.profile): npx tsx harness/orchestration/bench/profile-step.ts [resnet18|small-resnet].
import * as tf from '@tensorflow/tfjs-core';
import '../../foundation/tensor/setup.ts';
import { initBackend, shutdownBackend } from '../../foundation/tensor/backend.ts';
import { buildModel } from '../../foundation/models/zoo.ts';
import { crossEntropy } from '../../foundation/nn/losses.ts';
import { sgd } from '../train/optimizer.ts';
await initBackend();
const arch = process.argv[2] ?? 'resnet18';
const spec =
  arch === 'resnet18'
    ? {
        arch,
        numClasses: 10,
        inputShape: [32, 32, 3] as [number, number, number],
        mean: [0.5, 0.5, 0.5],
        std: [0.25, 0.25, 0.25],
      }
    : { arch, numClasses: 10, inputShape: [28, 28, 1] as [number, number, number], mean: [0.5], std: [0.25] };
const batch = arch === 'resnet18' ? 32 : 128;
const model = buildModel(spec, 1);
const opt = sgd(model, { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
const x = tf.randomUniform([batch, ...spec.inputShape]) as tf.Tensor4D;
const y = tf.tensor1d(
  Array.from({ length: batch }, (_, i) => i % 10),
  'int32',
);
model.train();
const step = () => opt.minimize(() => crossEntropy(model.forward(x), y));
step();
step();
const info = await tf.profile(() => {
  step();
});
const byKernel = new Map<string, number>();
for (const k of info.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + (k.kernelTimeMs as number));
const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
console.log('total kernel ms', total.toFixed(0), 'kernels', info.kernels.length);
for (const [k, v] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 14)) console.log(k.padEnd(26), v.toFixed(1));
const t0 = performance.now();
step();
step();
console.log('wall ms/step', ((performance.now() - t0) / 2).toFixed(0));
await shutdownBackend();
