/**
 * The attack loops give bit-identical results across their overhead cuts (issue 18): each case's
 * adversarial examples, notes and (for AutoAttack) per-point outcomes are hashed and compared with the
 * hashes the loops produced before the cuts (recorded on this cpu backend, this fixture and seed).
 * A change that moves any number, even one float bit, fails here.
 */
import { createHash } from 'node:crypto';
import type * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apgd, apgdT } from '../../attacks/apgd.ts';
import { autoAttack } from '../../attacks/autoattack.ts';
import { square } from '../../attacks/square.ts';
import type { Attack } from '../../attacks/types.ts';
import { predict } from '../../attacks/utils.ts';
import { useCpuBackend } from '../support/tf.ts';
import { trainTinyNet, type TinyNet } from './fixtures.ts';

let net: TinyNet;

beforeAll(async () => {
  await useCpuBackend();
  net = trainTinyNet({ numClasses: 6, n: 40 });
});

afterAll(() => net.dispose());

const hash = (...parts: (ArrayBufferView | string)[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? p : new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  return h.digest('hex').slice(0, 16);
};

function countFooled(xAdv: tf.Tensor4D): number {
  const labels = net.y.dataSync();
  return predict(net.model, xAdv).filter((p, i) => p !== labels[i]).length;
}

const CASES: [string, Attack][] = [
  ['apgd-ce Linf, 2 restarts', apgd({ eps: 0.06, nIter: 20, restarts: 2 })],
  ['apgd-dlr Linf', apgd({ eps: 0.06, nIter: 20, loss: 'dlr' })],
  ['apgd-ce L2', apgd({ norm: 'L2', eps: 0.5, nIter: 20 })],
  ['apgd-ce best loss', apgd({ eps: 0.04, nIter: 15, bestLoss: true })],
  ['apgd-t Linf', apgdT({ eps: 0.05, nIter: 15 })],
  ['apgd-t L2, 2 restarts', apgdT({ norm: 'L2', eps: 0.4, nIter: 10, restarts: 2 })],
  ['square Linf, 2 restarts', square({ eps: 0.15, nQueries: 150, restarts: 2 })],
  ['square L2', square({ norm: 'L2', eps: 1.5, nQueries: 150 })],
  ['square Linf -CE', square({ eps: 0.15, nQueries: 100, loss: 'ce' })],
];

/** Recorded before the overhead cuts; see the module comment. */
const EXPECTED: Record<string, string> = {
  'apgd-ce Linf, 2 restarts': '74f7afe9e2fa90bc',
  'apgd-dlr Linf': '255e7d86d3a52663',
  'apgd-ce L2': '779d7e9267826561',
  'apgd-ce best loss': '136b7f23cfa632a7',
  'apgd-t Linf': 'b92a2e30e0e4749d',
  'apgd-t L2, 2 restarts': '6a7eabdfb0f0baff',
  'square Linf, 2 restarts': '74ee2b266609c5df',
  'square L2': '94c923c720368d56',
  'square Linf -CE': 'c0a7d9f6ab73cd7e',
  autoattack: '1debe9bec27ae93d',
};

describe('attack loops: results unchanged by the overhead cuts', () => {
  for (const [name, attack] of CASES) {
    it(name, () => {
      const { xAdv, notes } = attack.run(net.model, net.x, net.y, 5);
      const got = hash(xAdv.dataSync(), JSON.stringify(notes ?? {}));
      // The case must exercise both outcomes: some points fooled, some not.
      const fooled = countFooled(xAdv);
      xAdv.dispose();
      expect(fooled).toBeGreaterThan(0);
      expect(fooled).toBeLessThan(net.x.shape[0]);
      expect({ [name]: got }).toEqual({ [name]: EXPECTED[name] });
    });
  }

  it('AutoAttack (APGD-CE, APGD-T, Square) in batches: same examples and per-point outcomes', () => {
    const aa = autoAttack({
      eps: 0.05,
      version: 'custom',
      attacks: ['apgd-ce', 'apgd-t', 'square'],
      batchSize: 16,
      checks: false,
      overrides: { apgd: { nIter: 15 }, apgdT: { nIter: 10 }, square: { nQueries: 100 } },
    });
    const r = aa.evaluate(net.model, net.x, net.y, 9);
    const got = hash(
      r.xAdv.dataSync(),
      r.yAdv,
      JSON.stringify({ flags: r.robustFlags, after: r.robustAccuracyAfter, notes: r.componentNotes }),
    );
    r.xAdv.dispose();
    expect(r.robustAccuracy).toBeGreaterThan(0);
    expect(r.robustAccuracy).toBeLessThan(r.cleanAccuracy);
    expect({ autoattack: got }).toEqual({ autoattack: EXPECTED.autoattack });
  });
});
