import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apgd, apgdT } from '../../../../attacks/apgd.ts';
import { square } from '../../../../attacks/square.ts';
import { countPasses, passesPerIteration } from '../../../../harness/orchestration/bench/attack-cost.ts';
import { trainTinyNet, type TinyNet } from '../../../attacks/fixtures.ts';
import { useCpuBackend } from '../../../support/tf.ts';

let net: TinyNet;
let own: tf.Tensor1D;

beforeAll(async () => {
  await useCpuBackend();
  net = trainTinyNet({ numClasses: 4, n: 12 });
  // Labels = the net's own predictions and a radius too small to fool any point: every stage of every
  // attack runs on the whole batch, so the counts below are exact.
  own = tf.tidy(() => tf.cast(tf.argMax(net.model(net.x), 1), 'int32')) as tf.Tensor1D;
});

afterAll(() => {
  own.dispose();
  net.dispose();
});

const EPS = 1e-4;

describe('attack cost: model passes per iteration', () => {
  it('counts images through the model without changing what the attack returns', () => {
    const attack = apgd({ eps: 0.05, nIter: 5 });
    const plain = attack.run(net.model, net.x, net.y, 2).xAdv;
    const { model, count } = countPasses(net.model);
    const counted = attack.run(model, net.x, net.y, 2).xAdv;
    expect(Array.from(counted.dataSync())).toEqual(Array.from(plain.dataSync()));
    expect(count.forward).toBeGreaterThan(0);
    expect(count.backward).toBeGreaterThan(0);
    tf.dispose([plain, counted]);
  });

  it('APGD-CE: one forward+backward an iteration, plus the clean forward and the start gradient', () => {
    const nIter = 10;
    const p = passesPerIteration(apgd({ eps: EPS, nIter }), net.model, net.x, own, nIter);
    expect(p.forward).toBeCloseTo((nIter + 2) / nIter, 10);
    expect(p.backward).toBeCloseTo((nIter + 1) / nIter, 10);
  });

  it('APGD-T: no forward per target beyond its iterations (targets come from the clean logits)', () => {
    const nIter = 10;
    const targets = 3; // 4 classes
    const p = passesPerIteration(apgdT({ eps: EPS, nIter }), net.model, net.x, own, nIter * targets);
    // One clean forward for the whole attack, then per target a start gradient and nIter iterations.
    expect(p.forward).toBeCloseTo((1 + targets * (nIter + 1)) / (nIter * targets), 10);
    expect(p.backward).toBeCloseTo((nIter + 1) / nIter, 10);
  });

  it('Square: one forward a query, no re-evaluation of its final points', () => {
    const nQueries = 20;
    const p = passesPerIteration(square({ eps: EPS, nQueries }), net.model, net.x, own, nQueries);
    // The clean forward, the start points, then one forward per query.
    expect(p.forward).toBeCloseTo((nQueries + 2) / nQueries, 10);
    expect(p.backward).toBe(0);
  });
});
