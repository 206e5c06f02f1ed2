/**
 * Winograd's transformed filters kept per weight tensor (harness/foundation/tensor/native/filter_cache.cc): a repeated
 * call with the same weights is a hit and gives the same bits as a call that transforms afresh; the input gradient
 * reuses the forward's transform (turned and transposed) and matches the cpu backend; new weights behind a variable
 * are never served an old transform; disposing a weight tensor releases its entry into a spare that the next
 * transform of that size fills; the byte budget evicts (spares first) and 0 keeps nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../../harness/foundation/rng.ts';
import {
  defaultConvAlgorithm,
  filterCache,
  filterCacheBytes,
  nativeKernels,
  setConvAlgorithm,
} from '../../../../harness/foundation/tensor/native/native-kernels.ts';
import { releaseBackend, useBackend } from '../../../support/tf.ts';
import { expectClose, randomTensor, runKernelOn } from './compare.ts';

beforeAll(async () => {
  await useBackend('wasm');
  setConvAlgorithm('winograd');
});
afterEach(() => filterCache(filterCacheBytes()));
afterAll(async () => {
  setConvAlgorithm(defaultConvAlgorithm());
  await releaseBackend();
});

const bits = (t: tf.Tensor) => Array.from(new Uint32Array(t.dataSync().slice().buffer));
const X_SHAPE: [number, number, number, number] = [3, 6, 6, 16];
const dxAttrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', inputShape: X_SHAPE } as const;

function inputs(seed: number) {
  const rng = new Rng(seed);
  return {
    x: tf.tensor4d(randomTensor(X_SHAPE, rng).values, X_SHAPE),
    w: tf.tensor4d(randomTensor([3, 3, 16, 24], rng, -0.2, 0.2).values, [3, 3, 16, 24]),
    dy: tf.tensor4d(randomTensor([3, 6, 6, 24], rng).values, [3, 6, 6, 24]),
  };
}
const forward = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.conv2d(x, w, 1, 'same');
const inputGrad = (dy: tf.Tensor, w: tf.Tensor) =>
  tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, dxAttrs as never) as tf.Tensor;

describe.runIf(nativeKernels())('transformed-filter cache', () => {
  it('a second call with the same weights is a hit, the same bits as transforming afresh', () => {
    const { x, w, dy } = inputs(1);
    filterCache(0);
    const fresh = [forward(x, w), inputGrad(dy, w)];
    const start = filterCache(filterCacheBytes())!;
    expect(start.entries).toBe(0);
    const first = [forward(x, w), inputGrad(dy, w)];
    const again = [forward(x, w), inputGrad(dy, w)];
    const stats = filterCache()!;
    // One transform for the forward; the input gradient and the repeats are served the kept one.
    expect(stats.misses - start.misses).toBe(1);
    expect(stats.hits - start.hits).toBe(3);
    expect(stats.entries).toBe(1);
    expect(stats.bytes).toBe(16 * 16 * 24 * 4);
    [...first, ...again].forEach((t, i) => expect(bits(t)).toEqual(bits(fresh[i % 2])));
    tf.dispose([x, w, dy, ...fresh, ...first, ...again]);
  });

  it("the input gradient from the forward's transform matches the cpu backend", async () => {
    const rng = new Rng(2);
    const dy = randomTensor([2, 5, 7, 24], rng);
    const filter = randomTensor([3, 3, 16, 24], rng);
    const attrs = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', inputShape: [2, 5, 7, 16] };
    const want = await runKernelOn('cpu', 'Conv2DBackpropInput', { dy, filter }, attrs);
    expectClose(await runKernelOn('wasm', 'Conv2DBackpropInput', { dy, filter }, attrs), want, 1e-4, 'dX');
  });

  it('a variable given new weights gets a new transform, never the old one', () => {
    const { x, w, dy } = inputs(3);
    const v = tf.variable(w);
    const before = forward(x, v as tf.Tensor4D);
    const other = inputs(4).w;
    v.assign(other);
    const after = forward(x, v as tf.Tensor4D);
    filterCache(0);
    const fresh = forward(x, other);
    expect(bits(after)).toEqual(bits(fresh));
    expect(bits(after)).not.toEqual(bits(before));
    tf.dispose([x, w, dy, v, before, other, after, fresh]);
  });

  it('evicts the least recently used past its budget, keeps nothing at 0, and leaks no tensors', () => {
    const entry = 16 * 16 * 24 * 4;
    filterCache(2 * entry);
    const sets = [5, 6, 7].map(inputs);
    const start = filterCache()!;
    const outs = sets.map(({ x, w }) => forward(x, w));
    const full = filterCache()!;
    expect(full.entries).toBe(2);
    expect(full.bytes).toBe(2 * entry);
    expect(full.evictions - start.evictions).toBe(1);
    // The first weights were evicted: computing them again is a miss, with the same bits.
    const again = forward(sets[0].x, sets[0].w);
    expect(filterCache()!.misses - full.misses).toBe(1);
    expect(bits(again)).toEqual(bits(outs[0]));
    expect(filterCache(0)!.entries).toBe(0);
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++)
      tf.tidy(() => {
        forward(sets[1].x, sets[1].w);
      });
    expect(tf.memory().numTensors).toBe(tensors);
    tf.dispose([...sets.flatMap((s) => [s.x, s.w, s.dy]), ...outs, again]);
  });

  it('disposing a weight releases its transform; the next weights of that size reuse its storage', () => {
    const entry = 16 * 16 * 24 * 4;
    filterCache(0);
    const { x, w, dy } = inputs(8);
    const other = inputs(9).w;
    const want = forward(x, other);
    const start = filterCache(filterCacheBytes())!;
    const first = forward(x, w);
    expect(filterCache()!).toMatchObject({ entries: 1, bytes: entry, spareBytes: 0 });
    w.dispose();
    const released = filterCache()!;
    expect(released.released - start.released).toBe(1);
    expect(released).toMatchObject({ entries: 0, bytes: 0, spareBytes: entry });
    // The spare still holds w's transform: other's must overwrite all of it.
    const got = forward(x, other);
    expect(filterCache()!).toMatchObject({ entries: 1, bytes: entry, spareBytes: 0 });
    expect(bits(got)).toEqual(bits(want));
    // A tensor that was never a convolution's weights releases nothing.
    dy.dispose();
    expect(filterCache()!.released).toBe(released.released);
    tf.dispose([x, other, want, first, got]);
  });

  it('a variable given new weights every step keeps one entry, not one per step', () => {
    const { x, w, dy } = inputs(10);
    const v = tf.variable(w);
    // v shares w's data until w goes; the data is freed, and its key released, only then.
    w.dispose();
    filterCache(filterCacheBytes());
    const start = filterCache()!;
    for (let step = 0; step < 4; step++) {
      tf.tidy(() => {
        forward(x, v as tf.Tensor4D);
        inputGrad(dy, v);
        v.assign(tf.mul(v, 0.5));
      });
      expect(filterCache()!.entries).toBe(0);
    }
    const end = filterCache()!;
    expect(end.misses - start.misses).toBe(4);
    expect(end.hits - start.hits).toBe(4);
    expect(end.released - start.released).toBe(4);
    expect(end.spareBytes).toBe(16 * 16 * 24 * 4);
    tf.dispose([x, dy, v]);
  });

  it('spares go before kept entries when the budget is reached', () => {
    const small = 16 * 16 * 24 * 4;
    filterCache(0);
    filterCache(3 * small);
    const a = inputs(11);
    const b = inputs(12);
    // A 16 -> 48 filter transforms to twice the bytes, so it cannot reuse a 16 -> 24 spare.
    const wide = tf.tensor4d(randomTensor([3, 3, 16, 48], new Rng(13), -0.2, 0.2).values, [3, 3, 16, 48]);
    const outs = [forward(a.x, a.w), forward(b.x, b.w)];
    a.w.dispose();
    expect(filterCache()!).toMatchObject({ entries: 1, spareBytes: small });
    const before = filterCache()!;
    outs.push(forward(a.x, wide));
    const after = filterCache()!;
    // The spare went; b's entry stayed.
    expect(after).toMatchObject({ entries: 2, bytes: 3 * small, spareBytes: 0 });
    expect(after.evictions).toBe(before.evictions);
    forward(b.x, b.w).dispose();
    expect(filterCache()!.hits - after.hits).toBe(1);
    tf.dispose([a.x, a.dy, b.x, b.w, b.dy, wide, ...outs]);
  });

  it('refuses a budget that is not a whole number of megabytes, naming the variable', () => {
    const saved = process.env.RFTBENCH_FILTER_CACHE_MB;
    process.env.RFTBENCH_FILTER_CACHE_MB = '1.5';
    try {
      expect(() => filterCacheBytes()).toThrow(
        /RFTBENCH_FILTER_CACHE_MB must be a whole number of megabytes, not "1.5"/,
      );
    } finally {
      if (saved === undefined) delete process.env.RFTBENCH_FILTER_CACHE_MB;
      else process.env.RFTBENCH_FILTER_CACHE_MB = saved;
    }
  });
});
