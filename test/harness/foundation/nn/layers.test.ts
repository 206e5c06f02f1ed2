import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AdaptiveAvgPool,
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  convOutputSize,
  Flatten,
  fromTorch,
  Identity,
  LeakyReLU,
  Linear,
  MaxPool2d,
  Normalize,
  ReLU,
  Sequential,
  torchLayoutOf,
  torchShape,
  toTorch,
} from '../../../../harness/foundation/nn/layers.ts';
import { useCpuBackend } from '../../../support/tf.ts';

beforeAll(useCpuBackend);

const values = (t: tf.Tensor) => Array.from(t.dataSync());
const seeded = (n: number, seed: number) => values(tf.tidy(() => tf.randomUniform([n], -1, 1, 'float32', seed)));

/** PyTorch's conv2d written out: NHWC input, OIHW weight, zero padding, floor output size. */
function referenceConv(
  x: number[],
  [n, h, w, c]: number[],
  weight: number[],
  o: number,
  k: number,
  stride: number,
  pad: number,
  bias?: number[],
) {
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let r = 0; r < oh; r++)
      for (let q = 0; q < ow; q++)
        for (let f = 0; f < o; f++) {
          let s = bias ? bias[f] : 0;
          for (let ch = 0; ch < c; ch++)
            for (let i = 0; i < k; i++)
              for (let j = 0; j < k; j++) {
                const y = r * stride - pad + i;
                const xx = q * stride - pad + j;
                if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                s += x[((b * h + y) * w + xx) * c + ch] * weight[((f * c + ch) * k + i) * k + j];
              }
          out.push(s);
        }
  return { out, shape: [n, oh, ow, o] };
}

describe('Conv2d', () => {
  const cases = [
    { h: 5, w: 6, c: 2, o: 3, k: 3, stride: 2, pad: 1 },
    { h: 6, w: 6, c: 2, o: 3, k: 3, stride: 2, pad: 1 }, // even size: PyTorch pads 1 on both sides, not SAME's 0/1
    { h: 7, w: 7, c: 3, o: 2, k: 7, stride: 2, pad: 3 }, // ImageNet stem geometry
    { h: 4, w: 5, c: 3, o: 4, k: 1, stride: 2, pad: 0 }, // projection shortcut
    { h: 5, w: 5, c: 1, o: 2, k: 3, stride: 1, pad: 0 },
    { h: 3, w: 3, c: 2, o: 2, k: 3, stride: 3, pad: 2 },
  ];
  for (const { h, w, c, o, k, stride, pad } of cases) {
    it(`matches PyTorch's conv2d (OIHW weight loaded through the layout) for ${h}x${w}x${c}→${o}, k${k} s${stride} p${pad}`, () => {
      const conv = new Conv2d(c, o, k, { stride, padding: pad, bias: true });
      const torchWeight = seeded(o * c * k * k, 1);
      const bias = seeded(o, 2);
      const xs = seeded(2 * h * w * c, 3);
      const layout = torchLayoutOf(conv);
      expect(layout('weight')).toBe('conv');
      expect(layout('bias')).toBe('plain');
      expect(torchShape(conv.weight.shape, 'conv')).toEqual([o, c, k, k]);
      tf.tidy(() => {
        conv.weight.assign(fromTorch(tf.tensor(torchWeight, [o, c, k, k]), layout('weight')) as tf.Tensor4D);
        conv.bias!.assign(tf.tensor1d(bias));
      });
      const y = tf.tidy(() => conv.forward(tf.tensor4d(xs, [2, h, w, c])));
      const ref = referenceConv(xs, [2, h, w, c], torchWeight, o, k, stride, pad, bias);
      expect(y.shape).toEqual(ref.shape);
      expect(y.shape.slice(1, 3)).toEqual([convOutputSize(h, k, stride, pad), convOutputSize(w, k, stride, pad)]);
      values(y).forEach((v, i) => expect(v).toBeCloseTo(ref.out[i], 4));
      // And back: our weight in PyTorch layout is the OIHW tensor we loaded.
      const back = toTorch(conv.weight, 'conv');
      values(back).forEach((v, i) => expect(v).toBe(Math.fround(torchWeight[i])));
      tf.dispose([y, back]);
      conv.dispose();
    });
  }

  it('computes a hand-checked sum with ones and stride 2, padding 1', () => {
    const conv = new Conv2d(1, 1, 3, { stride: 2, padding: 1, bias: false });
    tf.tidy(() => conv.weight.assign(tf.ones([3, 3, 1, 1])));
    const y = tf.tidy(() =>
      conv.forward(
        tf.tensor4d(
          Array.from({ length: 25 }, (_, i) => i + 1),
          [1, 5, 5, 1],
        ),
      ),
    );
    expect(y.shape).toEqual([1, 3, 3, 1]);
    // Output (r, q) sums the input window centred on (2r, 2q); outside the 5x5 grid counts 0.
    // Top-left: 1 + 2 + 6 + 7; centre: 7+8+9+12+13+14+17+18+19; bottom-right: 19 + 20 + 24 + 25.
    expect(values(y)).toEqual([16, 33, 28, 69, 117, 87, 76, 123, 88]);
    y.dispose();
    conv.dispose();
  });

  it('initialises deterministically from the seed within PyTorch bounds (1/sqrt(fan_in)), weight and bias', () => {
    const a = new Conv2d(4, 8, 3, { seed: 3 });
    const b = new Conv2d(4, 8, 3, { seed: 3 });
    const c = new Conv2d(4, 8, 3, { seed: 4 });
    expect(values(a.weight)).toEqual(values(b.weight));
    expect(values(a.weight)).not.toEqual(values(c.weight));
    const bound = 1 / Math.sqrt(4 * 9);
    for (const t of [a.weight, a.bias!]) {
      const v = values(t);
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(bound);
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(bound * 0.5); // uses the range, not a tiny one
    }
    expect(new Conv2d(2, 2, 1, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
    [a, b, c].forEach((m) => m.dispose());
  });
});

describe('Linear', () => {
  it('computes x Wᵀ + b with a PyTorch [out, in] weight loaded through the layout', () => {
    const lin = new Linear(3, 2);
    expect(torchLayoutOf(lin)('weight')).toBe('linear');
    const torchW = [
      [1, 2, 3],
      [-1, 0, 0.5],
    ];
    tf.tidy(() => {
      lin.weight.assign(fromTorch(tf.tensor2d(torchW), 'linear'));
      lin.bias!.assign(tf.tensor1d([0.5, -1]));
    });
    const y = tf.tidy(() =>
      lin.forward(
        tf.tensor2d([
          [1, 1, 1],
          [2, 0, -2],
        ]),
      ),
    );
    expect(values(y)).toEqual([6.5, -1.5, -3.5, -4]);
    const bound = 1 / Math.sqrt(3);
    const fresh = new Linear(3, 5, { seed: 9 });
    expect(fresh.weight.shape).toEqual([3, 5]);
    expect(Math.max(...values(fresh.weight).map(Math.abs))).toBeLessThanOrEqual(bound);
    tf.dispose(y);
    [lin, fresh].forEach((m) => m.dispose());
  });
});

describe('layout table', () => {
  it('names every conv and linear weight in a tree, and nothing else', () => {
    const net = new Sequential(new Conv2d(1, 2, 3), new BatchNorm2d(2), new Sequential(new Linear(2, 2)));
    const layout = torchLayoutOf(net);
    const table = Object.fromEntries(net.namedParameters().map(([n, v]) => [n, layout(n, v.shape)]));
    expect(table).toEqual({
      '0.weight': 'conv',
      '0.bias': 'plain',
      '1.weight': 'plain',
      '1.bias': 'plain',
      '2.0.weight': 'linear',
      '2.0.bias': 'plain',
    });
    expect(layout('1.running_mean')).toBe('plain');
    net.dispose();
  });
});

describe('pooling, flatten, activations, Normalize', () => {
  it('MaxPool2d(3, 2, 1) as torchvision: padding never wins, floor output size', () => {
    const x = tf.tensor4d(
      Array.from({ length: 16 }, (_, i) => -(i + 1)),
      [1, 4, 4, 1],
    );
    const y = tf.tidy(() => new MaxPool2d(3, 2, 1).forward(x));
    expect(y.shape).toEqual([1, 2, 2, 1]);
    // Windows rows/cols {-1,0,1}, {1,2,3}: maxima −1, −2 (row 0), −5, −6 (row 1) of the negated 1..16.
    expect(values(y)).toEqual([-1, -2, -5, -6]);
    tf.dispose([x, y]);
  });

  it('AvgPool2d counts zero padding (count_include_pad), AdaptiveAvgPool gives [N, C]', () => {
    const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const y = tf.tidy(() => new AvgPool2d(2, 2, 1).forward(x));
    expect(y.shape).toEqual([1, 2, 2, 1]);
    expect(values(y)).toEqual([0.25, 0.5, 0.75, 1]);
    const g = tf.tidy(() => new AdaptiveAvgPool().forward(tf.tensor4d([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2])));
    expect(g.shape).toEqual([1, 2]);
    expect(values(g)).toEqual([2.5, 25]);
    tf.dispose([x, y, g]);
  });

  it("Flatten uses PyTorch's (C, H, W) order", () => {
    // NHWC [1, 1, 2, 3]: pixel 0 has channels (1, 2, 3), pixel 1 has (4, 5, 6).
    const y = tf.tidy(() => new Flatten().forward(tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 1, 2, 3])));
    expect(y.shape).toEqual([1, 6]);
    expect(values(y)).toEqual([1, 4, 2, 5, 3, 6]);
    y.dispose();
  });

  it('ReLU, LeakyReLU(slope), Identity', () => {
    tf.tidy(() => {
      const x = tf.tensor1d([-2, 0, 3]);
      expect(values(new ReLU().forward(x))).toEqual([0, 0, 3]);
      expect(values(new LeakyReLU(0.1).forward(x))).toEqual([expect.closeTo(-0.2, 6), 0, 3]);
      expect(new LeakyReLU().slope).toBe(0.01);
      expect(new Identity().forward(x)).toBe(x);
    });
  });

  it('Normalize computes (x − mean)/std per channel and holds no state', () => {
    const norm = new Normalize([0.5, 0.25], [0.5, 0.25]);
    const y = tf.tidy(() => norm.forward(tf.tensor4d([1, 1, 0, 0.5], [1, 1, 2, 2])));
    values(y).forEach((v, i) => expect(v).toBeCloseTo([1, 3, -1, 1][i], 6));
    expect(Object.keys(norm.stateDict())).toEqual([]);
    expect(() => tf.tidy(() => norm.forward(tf.zeros([1, 1, 1, 3])))).toThrow(/3 channels, expected 2/);
    expect(() => new Normalize([0], [0])).toThrow(/std must be positive/);
    y.dispose();
  });

  it('Sequential names children 0, 1, … and applies them in order', () => {
    const seq = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1));
    expect(seq.namedModules().map(([n]) => n)).toEqual(['', '0', '1', '2']);
    const y = tf.tidy(() => seq.forward(tf.ones([4, 2])));
    expect(y.shape).toEqual([4, 1]);
    y.dispose();
    seq.dispose();
  });
});
