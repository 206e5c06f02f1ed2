/**
 * The standard tier as data: it parses, every target, source and -C set it names resolves to a dataset of
 * the right shape without downloading, every method id is registered, and its evaluation is the paper's
 * (AutoAttack standard on 10,000 points, corruption accuracy).
 */
import { describe, expect, it } from 'vitest';
import { getCorruptionDataset, getDataset } from '../../../datasets/registry.ts';
import { methods } from '../../../methods/registry.ts';
import { expandSuite } from '../../../harness/protocol/cells.ts';
import { isExternalSource } from '../../../harness/protocol/schema.ts';
import { loadSuite } from '../../../harness/protocol/suites.ts';

describe('standard suite', () => {
  const suite = loadSuite('standard');

  it('covers the paper targets with AutoAttack standard on 10,000 points and corruption accuracy', () => {
    expect(suite.tasks.map((t) => t.target.replace(/\[.*\]$/, ''))).toEqual(
      expect.arrayContaining(['cifar10', 'cifar100', 'svhn', 'gtsrb', 'caltech256', 'tiny-imagenet']),
    );
    expect(suite.tier.evaluation.autoattack).toMatchObject({ version: 'standard', n: 10000 });
    expect(suite.tier.evaluation.corruptions?.n).toBe(10000);
    expect(suite.seeds).toHaveLength(3);
  });

  it('names only datasets and methods that exist, with matching shapes', () => {
    for (const task of suite.tasks) {
      const target = getDataset(task.target, { download: false });
      if (isExternalSource(task.source)) throw new Error(`${task.id}: the standard suite pre-trains its sources`);
      const source = getDataset(task.source.dataset, { download: false });
      expect(target.inputShape, task.id).toEqual(source.inputShape);
      if (task.corruptions) {
        const base = task.corruptions.replace(/\[.*\]$/, '');
        expect(getCorruptionDataset(base, { download: false }).inputShape, task.id).toEqual(target.inputShape);
      }
    }
    for (const m of suite.methods) expect(methods.has(m.id), m.id).toBe(true);
  });

  it('expands to distinct cells, CARTL alone on its FDM task', () => {
    const cells = expandSuite(suite);
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    const fdm = cells.filter((c) => c.spec.task.id.startsWith('cifar100-fdm'));
    expect(new Set(fdm.map((c) => c.spec.method.id))).toEqual(new Set(['cartl']));
  });
});
