/**
 * @module Adversarial pre-training of source models: PGD-AT (Madry et al.), FGSM with a random start
 * (Wong et al., "Fast is better than free", the cheap recipe CPU tiers use), TRADES, or AT with CARTL's
 * feature-distance term (`recipes.ts`). The result is measured
 * (clean and PGD-20 accuracy on the source test split) before it is cached, so a task never builds on
 * a source whose robustness nobody checked.
 */
import { getDataset } from '../../../datasets/registry.ts';
import { evaluateRobustness, type MetricValue } from '../evaluate/evaluate.ts';
import type { Classifier } from '../../foundation/models/classifier.ts';
import { buildModel } from '../../foundation/models/zoo.ts';
import type { SourceRecipe, Tier } from '../../protocol/schema.ts';
import { Rng } from '../../foundation/rng.ts';
import { fit } from '../train/fit.ts';
import { sgd } from '../train/optimizer.ts';
import { TrainState, trainStateDir, type TrainStateOptions } from '../train/train-state.ts';
import { piecewiseLinear } from '../../foundation/nn/schedule.ts';
import { recipeStep, type RecipeStep } from './recipes.ts';

/** How every source model is measured before it is cached. */
export const SOURCE_EVALUATION: Tier['evaluation'] = {
  n: 500,
  batchSize: 250,
  pgd: { steps: 20, stepSizeOverEps: 0.25, restarts: 1 },
};

export interface PretrainResult {
  model: Classifier;
  metrics: MetricValue[];
  curve: { epoch: number; loss: number; seconds: number }[];
  datasetVersion: string;
  trainSeconds: number;
  /** Recipe-specific facts for the record (FDM's boundary block, TRADES' beta). */
  details: Record<string, unknown>;
}

export interface PretrainOptions {
  log?: (m: string) => void;
  dataDir?: string;
  /** Checkpoint the training under `<data>/train-state/<key>/` and resume from what is there; none without a key. */
  trainStateKey?: string;
  training?: TrainStateOptions;
}

export async function pretrainSource(recipe: SourceRecipe, opts: PretrainOptions = {}): Promise<PretrainResult> {
  const { log = (_: string) => {}, dataDir, trainStateKey, training } = opts;
  const dataset = getDataset(recipe.dataset, { dataDir });
  const train = await dataset.load('train');
  const test = await dataset.load('test');
  const stateDir = trainStateKey === undefined ? undefined : trainStateDir(trainStateKey, dataDir);
  const state = stateDir === undefined ? undefined : TrainState.open(stateDir, { ...training, log });
  const rng = state ? state.rngs.root(recipe.seed) : new Rng(recipe.seed);
  const model = buildModel(
    {
      arch: recipe.arch,
      numClasses: dataset.classNames.length,
      inputShape: dataset.inputShape,
      mean: dataset.mean,
      std: dataset.std,
    },
    rng.fork('init').nextSeed(),
  );
  const optimizer = sgd(model, { lr: recipe.lr, momentum: recipe.momentum, weightDecay: recipe.weightDecay });
  let step: RecipeStep | undefined;
  // The state's curve list, so a checkpoint holds the epochs already done.
  const curve = (state?.curves ?? []) as PretrainResult['curve'];
  const started = performance.now();
  try {
    step = recipeStep(recipe, model, rng);
    const { prepare, loss } = step;
    const runFit = () =>
      fit({
        model,
        train,
        epochs: recipe.epochs,
        batchSize: recipe.batchSize,
        maxExamples: recipe.maxTrainExamples,
        rng: rng.fork('data'),
        optimizer,
        // One-cycle-like triangle, the schedule fast AT relies on to converge in few epochs.
        lrAt: (epoch, progress) =>
          piecewiseLinear([0, recipe.epochs * 0.4, recipe.epochs], [0, recipe.lr, 0])(epoch + progress),
        prepare: (batch) => prepare(batch),
        loss: (batch, prepared) => loss(batch, prepared),
        onEpoch: (epoch, s) => {
          curve.push({ epoch: epoch + 1, loss: s.loss, seconds: s.seconds });
          log(
            `pretrain ${recipe.dataset} ${recipe.arch} ${recipe.recipe}: epoch ${epoch + 1}/${recipe.epochs} loss ${s.loss.toFixed(4)} (${s.seconds.toFixed(1)} s)`,
          );
        },
      });
    await (state ? state.run(runFit) : runFit());
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    step?.dispose();
    optimizer.dispose();
  }
  const trainSeconds = (state?.secondsBefore ?? 0) + (performance.now() - started) / 1000;
  model.eval();
  const metrics = await evaluateRobustness(model, test, {
    threat: recipe.threat,
    evaluation: SOURCE_EVALUATION,
    seed: recipe.seed,
  });
  return { model, metrics, curve, datasetVersion: dataset.version, trainSeconds, details: step!.details };
}
