/** @module Corruption accuracy on the task's -C set, when the tier asks for it and the task names one. */
import { evaluateCorruptions } from '../corruption-metric.ts';
import type { MetricRunner } from '../metric-runner.ts';

export const runner: MetricRunner = {
  applies: (ctx) => ctx.evaluation.corruptions !== undefined && ctx.corruptions !== undefined,
  async run(ctx) {
    const c = ctx.evaluation.corruptions!;
    const { dataset, load } = ctx.corruptions!;
    // The -C images are the test images corrupted: they go through the test split's resize too.
    const options = {
      dataset,
      n: c.n,
      batchSize: c.batchSize,
      only: c.only,
      load,
      log: ctx.log,
      pipeline: ctx.test.pipeline,
    };
    return evaluateCorruptions(ctx.logits, options);
  },
};
