/**
 * @module Timing of the convolution gradient kernels on the active backend, for the layer shapes of
 * the small CPU model and ResNet-18 at batch 128 (`rftbench bench` prints them beside the model rows).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  stride: number;
}

const CASES: ConvCase[] = [
  { name: 'small-resnet layer1 28x28 16->16', x: [128, 28, 28, 16], filter: [3, 3, 16, 16], stride: 1 },
  { name: 'small-resnet layer2 28x28 16->32 s2', x: [128, 28, 28, 16], filter: [3, 3, 16, 32], stride: 2 },
  { name: 'resnet18 layer2 16x16 128->128', x: [128, 16, 16, 128], filter: [3, 3, 128, 128], stride: 1 },
];

export interface KernelRow {
  backend: string;
  kernel: string;
  layer: string;
  msPerCall: number;
}

export async function benchKernels(time = 1000): Promise<KernelRow[]> {
  const rows: KernelRow[] = [];
  for (const c of CASES) {
    const x = tf.randomUniform(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomUniform(c.filter, -0.1, 0.1, 'float32', 2) as tf.Tensor4D;
    const y = tf.conv2d(x, w, c.stride, 1);
    const dy = tf.randomUniform(y.shape, -1, 1, 'float32', 3) as tf.Tensor4D;
    const bench = new Bench({ time, warmup: true, warmupIterations: 1, warmupTime: 0, iterations: 2, throws: true });
    bench
      .add('Conv2DBackpropFilter', () =>
        (tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: c.stride, pad: 1, dataFormat: 'NHWC', filterShape: c.filter }) as tf.Tensor).dispose(),
      )
      .add('Conv2DBackpropInput', () =>
        (tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides: c.stride, pad: 1, dataFormat: 'NHWC', inputShape: c.x }) as tf.Tensor).dispose(),
      );
    await bench.run();
    for (const t of bench.tasks) {
      if (t.result.state === 'completed') rows.push({ backend: tf.getBackend(), kernel: t.name, layer: c.name, msPerCall: Number(t.result.latency.mean.toFixed(2)) });
    }
    tf.dispose([x, w, y, dy]);
  }
  return rows;
}
