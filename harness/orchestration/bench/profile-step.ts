/**
 * @module Per-kernel profile of one step of a bench:peer model (tf.profile), after warm-up steps (the first
 * ones fill caches: Winograd's kept filter transforms, scratch). Prints each kernel's milliseconds per step,
 * summed by kernel name and, with --shapes, by name and input shapes; then the wall time per step.
 *
 * npx tsx harness/orchestration/bench/profile-step.ts [small-resnet|resnet18|resnet50] [train|pgd|infer]
 *   [--shapes] [--top N] [--warm N]
 *
 * Kernels nest: a custom gradient's forward (named `forward`) contains the kernels it runs, so the total
 * counts those twice.
 */
import * as tf from '@tensorflow/tfjs-core';
import '../../foundation/tensor/setup.ts';
import { parseArgs } from 'node:util';
import { initBackend, shutdownBackend } from '../../foundation/tensor/backend.ts';
import { buildModel } from '../../foundation/models/zoo.ts';
import { pgd } from '../../../attacks/pgd.ts';
import { crossEntropy } from '../../foundation/nn/losses.ts';
import { sgd } from '../train/optimizer.ts';
import { MODEL_CASES } from './model-steps.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    shapes: { type: 'boolean', default: false },
    top: { type: 'string', default: '20' },
    warm: { type: 'string', default: '4' },
  },
});
const [arch = 'resnet18', task = 'train'] = positionals;
const c = MODEL_CASES.find((m) => m.spec.arch === arch);
if (!c)
  throw new Error(
    `profile-step: model must be one of ${MODEL_CASES.map((m) => m.spec.arch).join(', ')}, not "${arch}"`,
  );
if (!['train', 'pgd', 'infer'].includes(task))
  throw new Error(`profile-step: task must be train, pgd or infer, not "${task}"`);

await initBackend();
const model = buildModel(c.spec, 1);
const optimizer = sgd(model, { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
const x = tf.randomUniform([c.batch, ...c.spec.inputShape], 0, 1, 'float32', 7) as tf.Tensor4D;
const y = tf.tensor1d(
  Array.from({ length: c.batch }, (_, i) => i % c.spec.numClasses),
  'int32',
);
if (task === 'train') model.train();
else model.eval();
const oneStep = pgd({ eps: 8 / 255, alpha: 2 / 255, steps: 1, randomStart: false, restarts: 1, norm: 'Linf' });
const steps = {
  train: () => optimizer.minimize(() => crossEntropy(model.forward(x), y)),
  // The bench's PGD step (model-steps.ts): one Linf step of the attack itself.
  pgd: () => tf.dispose(oneStep.run((z) => model.forward(z), x, y, 3).xAdv),
  infer: () => tf.tidy(() => model.forward(x).dataSync()),
};
const step = steps[task as keyof typeof steps];
for (let i = 0; i < Number(values.warm); i++) step();
const info = await tf.profile(() => {
  step();
});
const ms = new Map<string, number>();
for (const k of info.kernels) {
  const key = values.shapes ? `${k.name} ${k.inputShapes.map((s) => s?.join('x')).join(' ')}` : k.name;
  ms.set(key, (ms.get(key) ?? 0) + (k.kernelTimeMs as number));
}
const total = [...ms.values()].reduce((a, b) => a + b, 0);
console.log(
  `${c.name}, batch ${c.batch}, ${task}: ${info.kernels.length} kernels, ${total.toFixed(1)} ms (nested counted twice)`,
);
for (const [k, v] of [...ms].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
  console.log(`  ${k.padEnd(values.shapes ? 72 : 28)} ${v.toFixed(2)}`);
const t0 = performance.now();
for (let i = 0; i < 10; i++) step();
console.log(`wall ms/step ${((performance.now() - t0) / 10).toFixed(1)} (mean of 10)`);
tf.dispose([x, y]);
optimizer.dispose();
model.dispose();
await shutdownBackend();
