/**
 * Our wasm Conv2D, Conv2DBackpropFilter and Conv2DBackpropInput against the cpu backend's kernels, one
 * kernel at a time on fixed random inputs, through both paths: the native OpenBLAS kernels (where they
 * are built; backend.test.ts checks they are wherever OpenBLAS is installed) and the pure-wasm ones: random shapes (batch 1 included), kernel sizes, strides (also
 * unequal), and paddings as tfjs and PyTorch give them ('same', 'valid', a number, explicit pairs, also
 * asymmetric or wider than the filter).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../../harness/foundation/rng.ts';
import {
  defaultConvAlgorithm,
  nativeKernels,
  setConvAlgorithm,
  setNativeKernelsEnabled,
} from '../../../../harness/foundation/tensor/native/native-kernels.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';
import { expectClose, randomTensor, runKernelOn, runOn } from './compare.ts';

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

interface ConvCase {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  kh: number;
  kw: number;
  strides: [number, number];
  pad: Pad;
}

const FIXED: ConvCase[] = [
  { n: 2, h: 8, w: 8, ci: 3, co: 4, kh: 3, kw: 3, strides: [1, 1], pad: 1 },
  { n: 3, h: 9, w: 7, ci: 5, co: 6, kh: 3, kw: 3, strides: [2, 2], pad: 1 },
  { n: 2, h: 10, w: 10, ci: 4, co: 3, kh: 3, kw: 3, strides: [2, 2], pad: 1 },
  { n: 1, h: 8, w: 8, ci: 4, co: 8, kh: 1, kw: 1, strides: [2, 2], pad: 0 },
  { n: 2, h: 10, w: 10, ci: 2, co: 3, kh: 5, kw: 5, strides: [1, 1], pad: 2 },
  { n: 2, h: 11, w: 9, ci: 3, co: 2, kh: 3, kw: 3, strides: [3, 3], pad: 'same' },
  { n: 1, h: 7, w: 7, ci: 3, co: 3, kh: 3, kw: 3, strides: [1, 1], pad: 'valid' },
  { n: 2, h: 12, w: 12, ci: 3, co: 5, kh: 4, kw: 4, strides: [2, 2], pad: 'same' },
  { n: 2, h: 9, w: 11, ci: 3, co: 4, kh: 3, kw: 2, strides: [2, 1], pad: 'valid' },
  {
    n: 1,
    h: 8,
    w: 9,
    ci: 2,
    co: 3,
    kh: 3,
    kw: 3,
    strides: [1, 2],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {
    n: 2,
    h: 6,
    w: 6,
    ci: 2,
    co: 2,
    kh: 3,
    kw: 3,
    strides: [2, 2],
    pad: [
      [0, 0],
      [4, 0],
      [0, 3],
      [0, 0],
    ],
  },
  { n: 1, h: 5, w: 5, ci: 3, co: 2, kh: 2, kw: 2, strides: [3, 3], pad: 'valid' },
  // Channels and output width in multiples of 4: the SIMD im2col path, with and without padding.
  { n: 2, h: 8, w: 8, ci: 8, co: 3, kh: 3, kw: 3, strides: [1, 1], pad: 'same' },
  {
    n: 1,
    h: 9,
    w: 8,
    ci: 4,
    co: 5,
    kh: 2,
    kw: 3,
    strides: [2, 2],
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
  },
  { n: 3, h: 7, w: 7, ci: 4, co: 2, kh: 4, kw: 4, strides: [1, 1], pad: 'valid' },
  { n: 2, h: 16, w: 11, ci: 12, co: 6, kh: 5, kw: 5, strides: [3, 3], pad: 2 },
  // The 4-block CNN's shapes at batch 2: 3->32 stride 1, then stride-2 blocks.
  { n: 2, h: 32, w: 32, ci: 3, co: 32, kh: 3, kw: 3, strides: [1, 1], pad: 1 },
  { n: 2, h: 32, w: 32, ci: 32, co: 64, kh: 3, kw: 3, strides: [2, 2], pad: 1 },
  { n: 2, h: 8, w: 8, ci: 128, co: 128, kh: 3, kw: 3, strides: [2, 2], pad: 1 },
];

function outSize(input: number, k: number, s: number, before: number, after: number): number {
  return Math.floor((input + before + after - k) / s) + 1;
}

/** Random cases whose output is at least 1x1. */
function randomCases(count: number, rng: Rng): ConvCase[] {
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const kh = 1 + rng.int(5);
    const kw = rng.next() < 0.7 ? kh : 1 + rng.int(5);
    const strides: [number, number] = [1 + rng.int(3), 1 + rng.int(3)];
    const kind = rng.int(4);
    const pad: Pad =
      kind === 0
        ? 'same'
        : kind === 1
          ? 'valid'
          : kind === 2
            ? rng.int(Math.max(kh, kw))
            : [
                [0, 0],
                [rng.int(kh + 1), rng.int(kh + 1)],
                [rng.int(kw + 1), rng.int(kw + 1)],
                [0, 0],
              ];
    const c: ConvCase = {
      n: 1 + rng.int(3),
      h: 1 + rng.int(12),
      w: 1 + rng.int(12),
      ci: 1 + rng.int(7),
      co: 1 + rng.int(7),
      kh,
      kw,
      strides,
      pad,
    };
    const [t, b, l, r] =
      typeof pad === 'number' ? [pad, pad, pad, pad] : Array.isArray(pad) ? [...pad[1], ...pad[2]] : [0, 0, 0, 0];
    if (pad !== 'same' && (outSize(c.h, kh, strides[0], t, b) < 1 || outSize(c.w, kw, strides[1], l, r) < 1)) continue;
    cases.push(c);
  }
  return cases;
}

/** 3x3 stride-1 cases, the Winograd kernels' geometry: odd and even sizes, paddings 0-3 each side, up to 40 channels. */
function winogradCases(count: number, rng: Rng): ConvCase[] {
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const [t, b, l, r] = [rng.int(4), rng.int(4), rng.int(4), rng.int(4)];
    const c: ConvCase = {
      n: 1 + rng.int(3),
      h: 1 + rng.int(13),
      w: 1 + rng.int(13),
      ci: 1 + rng.int(40),
      co: 1 + rng.int(40),
      kh: 3,
      kw: 3,
      strides: [1, 1],
      pad: [
        [0, 0],
        [t, b],
        [l, r],
        [0, 0],
      ],
    };
    if (outSize(c.h, 3, 1, t, b) < 1 || outSize(c.w, 3, 1, l, r) < 1) continue;
    cases.push(c);
  }
  return cases;
}

/**
 * The direct kernel's geometry: multiples of 8 channels out (8-40, so both its 16- and 8-channel tiles run), any
 * channels in, widths past its 6-pixel tiles, strides 1-3 and paddings up to the filter's size on each side.
 */
function directCases(count: number, rng: Rng): ConvCase[] {
  const cases: ConvCase[] = [];
  while (cases.length < count) {
    const kh = 1 + rng.int(5);
    const kw = rng.next() < 0.7 ? kh : 1 + rng.int(5);
    const [t, b, l, r] = [rng.int(kh + 1), rng.int(kh + 1), rng.int(kw + 1), rng.int(kw + 1)];
    const strides: [number, number] = rng.next() < 0.5 ? [1, 1] : [1 + rng.int(3), 1 + rng.int(3)];
    const c: ConvCase = {
      n: 1 + rng.int(3),
      h: 1 + rng.int(15),
      w: 1 + rng.int(20),
      ci: rng.next() < 0.5 ? 8 * (1 + rng.int(3)) : 1 + rng.int(12),
      co: 8 * (1 + rng.int(5)),
      kh,
      kw,
      strides,
      pad: [
        [0, 0],
        [t, b],
        [l, r],
        [0, 0],
      ],
    };
    if (outSize(c.h, kh, strides[0], t, b) < 1 || outSize(c.w, kw, strides[1], l, r) < 1) continue;
    cases.push(c);
  }
  return cases;
}

const CASES = [
  ...FIXED,
  ...randomCases(24, new Rng(7)),
  ...winogradCases(12, new Rng(11)),
  ...directCases(16, new Rng(13)),
];

function label(c: ConvCase): string {
  return `${c.n}x${c.h}x${c.w}x${c.ci} -> ${c.co}, k${c.kh}x${c.kw} s${c.strides.join('x')} pad ${JSON.stringify(c.pad)}`;
}

beforeAll(async () => {
  const info = await useBackend('wasm');
  expect(info.customKernels).toEqual(expect.arrayContaining(['Conv2DBackpropFilter', 'Conv2DBackpropInput']));
});
afterAll(async () => {
  setNativeKernelsEnabled(true);
  setConvAlgorithm(defaultConvAlgorithm());
  await releaseBackend();
});

// native: im2col + OpenBLAS; winograd: the same but 3x3 stride-1 convolutions by Winograd F(2x2, 3x3); direct:
// the AVX2 kernel wherever it applies (where the CPU lacks AVX2 + FMA, im2col: convKernel).
const PATHS = nativeKernels() ? (['native', 'winograd', 'direct', 'wasm'] as const) : (['wasm'] as const);

describe.each(PATHS)('Conv2D and its gradients on wasm (%s path) match the cpu backend', (path) => {
  beforeAll(() => {
    setNativeKernelsEnabled(path !== 'wasm');
    setConvAlgorithm(path === 'winograd' || path === 'direct' ? path : 'im2col');
  });

  CASES.forEach((c, i) => {
    it(label(c), async () => {
      const rng = new Rng(100 + i);
      const x = randomTensor([c.n, c.h, c.w, c.ci], rng);
      const filter = randomTensor([c.kh, c.kw, c.ci, c.co], rng);
      const convAttrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', dilations: [1, 1] };
      const y = await runKernelOn('cpu', 'Conv2D', { x, filter }, convAttrs);
      // Conv2D is ours only on the native path (on wasm it hands the call to tfjs's XNNPACK kernel).
      // A numeric padding without a rounding mode can give tfjs fractional output sizes: those stay
      // on wasm too and are not compared.
      if (path !== 'wasm' && y.shape.every((d) => Number.isInteger(d) && d > 0))
        expectClose(await runKernelOn('wasm', 'Conv2D', { x, filter }, convAttrs), y, 1e-4, 'y');
      const dy = randomTensor(y.shape, rng);
      const gradAttrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };

      const dwAttrs = { ...gradAttrs, filterShape: filter.shape };
      expectClose(
        await runKernelOn('wasm', 'Conv2DBackpropFilter', { x, dy }, dwAttrs),
        await runKernelOn('cpu', 'Conv2DBackpropFilter', { x, dy }, dwAttrs),
        1e-4,
        'dW',
      );

      const dxAttrs = { ...gradAttrs, inputShape: x.shape };
      expectClose(
        await runKernelOn('wasm', 'Conv2DBackpropInput', { dy, filter }, dxAttrs),
        await runKernelOn('cpu', 'Conv2DBackpropInput', { dy, filter }, dxAttrs),
        1e-4,
        'dX',
      );
    });
  });

  it('tf.grads of conv2d reaches our kernels and matches cpu', async () => {
    const rng = new Rng(3);
    const x = randomTensor([2, 9, 9, 4], rng);
    const w = randomTensor([3, 3, 4, 5], rng);
    const grads = (a: tf.Tensor, b: tf.Tensor) =>
      tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 2, 1))))([
        a,
        b,
      ]);
    const [cpuDx, cpuDw] = await runOn('cpu', [x, w], grads);
    const [wasmDx, wasmDw] = await runOn('wasm', [x, w], grads);
    expectClose(wasmDx, cpuDx, 1e-4, 'dx');
    expectClose(wasmDw, cpuDw, 1e-4, 'dw');
  });
});
