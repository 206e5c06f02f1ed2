import { describe, expect, it } from 'vitest';
import { canonicalJson, expandSuite, hashOf } from '../../../harness/protocol/cells.ts';
import { parseSuite } from '../../../harness/protocol/schema.ts';
import { loadSuite } from '../../../harness/protocol/suites.ts';

describe('cells', () => {
  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: 3 } })).toBe(
      canonicalJson({ a: { c: 3, d: [2, { y: 2, z: 1 }] }, b: 1 }),
    );
    expect(hashOf({ a: 1, b: 2 })).toBe(hashOf({ b: 2, a: 1 }));
    expect(hashOf({ a: 1 })).not.toBe(hashOf({ a: 2 }));
  });

  it('expands tasks x methods x seeds with distinct, stable ids', () => {
    const suite = loadSuite('smoke');
    const twoSeeds = { ...suite, seeds: [0, 1] };
    const cells = expandSuite(twoSeeds);
    expect(cells).toHaveLength(suite.tasks.length * suite.methods.length * 2);
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    expect(expandSuite(twoSeeds).map((c) => c.id)).toEqual(cells.map((c) => c.id));
  });

  it('changing any part of the protocol changes the cell id; the suite name does not', () => {
    const suite = loadSuite('smoke');
    const [base] = expandSuite(suite);
    const renamed = expandSuite({ ...suite, id: 'other-name' })[0];
    expect(renamed.id).toBe(base.id);
    const morePgd = expandSuite({
      ...suite,
      tier: {
        ...suite.tier,
        evaluation: { ...suite.tier.evaluation, pgd: { ...suite.tier.evaluation.pgd, steps: 50 } },
      },
    })[0];
    expect(morePgd.id).not.toBe(base.id);
    const otherEps = expandSuite({
      ...suite,
      tasks: [{ ...suite.tasks[0], threat: { norm: 'Linf', eps: 4 / 255 } }],
    })[0];
    expect(otherEps.id).not.toBe(base.id);
    const otherConfig = expandSuite({ ...suite, methods: [{ id: 'standard', config: { lr: 0.5 } }] })[0];
    expect(otherConfig.id).not.toBe(base.id);
  });
});

describe('suite validation', () => {
  it('names every bad field by its path', () => {
    const good = loadSuite('smoke');
    const bad = JSON.parse(JSON.stringify(good));
    bad.tier.budget.epochs = -1;
    bad.tasks[0].threat.norm = 'L3';
    bad.extra = true;
    let message = '';
    try {
      parseSuite(bad, 'my-suite.json');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('my-suite.json');
    expect(message).toContain('tier.budget.epochs');
    expect(message).toContain('tasks.0.threat.norm');
    expect(message).toMatch(/extra/);
  });

  it('rejects an unknown built-in suite with the list of known ones', () => {
    expect(() => loadSuite('quik')).toThrow(/unknown suite 'quik'.*quick/);
  });
});
