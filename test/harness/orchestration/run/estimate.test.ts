/** The pass-counting arithmetic of `rftbench run --dry-run --estimate`, checked by hand-computed counts. */
import { describe, expect, it } from 'vitest';
import { componentAttack } from '../../../../attacks/autoattack.ts';
import {
  autoAttackPassesPerPoint,
  evaluationPasses,
  forwardEquivalents,
  hoursFor,
  trainingPasses,
} from '../../../../harness/orchestration/run/estimate.ts';

const base = { config: {}, examples: 1000, epochs: 2, attackSteps: 10, modules: 21 };

describe('training passes', () => {
  it('counts a clean step as one forward and one backward per example and epoch', () => {
    expect(trainingPasses({ ...base, methodId: 'standard' })).toEqual({
      passes: { forward: 2000, backward: 2000 },
      assumed: false,
    });
    // LwF also runs the frozen source forward.
    expect(trainingPasses({ ...base, methodId: 'lwf' }).passes).toEqual({ forward: 4000, backward: 2000 });
  });

  it('adds the attack steps for adversarial entries (TRADES: clean logits and both branches)', () => {
    expect(trainingPasses({ ...base, methodId: 'at' }).passes).toEqual({ forward: 22000, backward: 22000 });
    expect(trainingPasses({ ...base, methodId: 'twins-trades' }).passes).toEqual({ forward: 26000, backward: 24000 });
  });

  it('counts RiFT stage by stage and flags unknown entries as assumed AT', () => {
    const config = {
      holdout: 100,
      atEpochs: 1,
      ftEpochs: 1,
      mrcExamples: 50,
      mrcAttackSteps: 10,
      mrcEpochs: 2,
      selectAttackSteps: 10,
    };
    const p = trainingPasses({ ...base, methodId: 'rift', config }).passes;
    // stage 1: 900 x 11; MRC set: 50 x 10; MRC: 21 modules x 2 epochs x 50; ft: 900 (+ 100 held-out forwards); select: 11 x 100 x (12 fwd, 10 bwd).
    expect(p.forward).toBe(900 * 11 + 500 + 2100 + 900 + 100 + 11 * 100 * 12);
    expect(p.backward).toBe(900 * 11 + 500 + 2100 + 900 + 11 * 100 * 10);
    expect(trainingPasses({ ...base, methodId: 'my-entry' })).toEqual({
      passes: { forward: 22000, backward: 22000 },
      assumed: true,
    });
  });
});

describe('evaluation passes', () => {
  it("prices AutoAttack standard from the components' own settings", () => {
    const components = ['apgd-ce', 'apgd-t', 'fab-t', 'square'].map((name) => ({
      name,
      ...componentAttack(name as 'apgd-ce', 'standard', 'Linf', 8 / 255).options,
    }));
    // APGD-CE 100, APGD-T 9 x 100, FAB-T 9 x 100 x (2 fwd, 1 bwd), Square 5000 queries.
    expect(autoAttackPassesPerPoint(components, 10)).toEqual({
      forward: 100 + 900 + 1800 + 5000,
      backward: 100 + 900 + 900,
    });
    // Targets are capped by the classes: 4 classes leave 3 targets.
    expect(autoAttackPassesPerPoint(components.slice(1, 2), 4)).toEqual({ forward: 300, backward: 300 });
  });

  it('adds clean, PGD with restarts, AutoAttack and -C forwards', () => {
    const p = evaluationPasses({
      n: 100,
      pgdSteps: 10,
      pgdRestarts: 3,
      numClasses: 10,
      autoattack: { n: 50, components: [{ name: 'apgd-ce', nIter: 20 }] },
      corruptions: { splits: 75, n: 100 },
    });
    expect(p).toEqual({ forward: 100 + 3 * 100 * 11 + 50 * 20 + 7500, backward: 3 * 100 * 10 + 50 * 20 });
  });

  it('rejects a component it cannot price', () => {
    expect(() => autoAttackPassesPerPoint([{ name: 'cw' }], 10)).toThrow(/no cost model for AutoAttack component 'cw'/);
  });
});

describe('hours', () => {
  it('scale the reference throughput by multiply-adds, a backward costing two forwards', () => {
    const passes = { forward: 3600, backward: 3600 };
    expect(forwardEquivalents(passes)).toBe(10800);
    // 1 training image/s of a model of the same size = 3 forward-equivalents/s: 10,800 / 3 = 3,600 s = 1 h.
    expect(hoursFor(passes, 5e8, { imagesPerSecond: 1, referenceMacs: 5e8 })).toBeCloseTo(1, 12);
    // A model 8x larger at 4x the throughput: 2 h.
    expect(hoursFor(passes, 4e9, { imagesPerSecond: 4, referenceMacs: 5e8 })).toBeCloseTo(2, 12);
    expect(() => hoursFor(passes, 1, { imagesPerSecond: 0, referenceMacs: 1 })).toThrow(/positive images\/s/);
  });
});
