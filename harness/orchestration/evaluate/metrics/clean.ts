/** @module Clean accuracy alone, when no attack of the evaluation scores it on its batches (`eval --cell --attack clean`). */
import { cleanAccuracy } from '../clean-accuracy.ts';
import type { MetricRunner } from '../metric-runner.ts';

export const runner: MetricRunner = {
  applies: ({ evaluation: e }) => !e.pgd && !e.attack && !e.autoattack,
  run: async (ctx) => [cleanAccuracy(ctx.logits, ctx.test, ctx.evaluation)],
};
