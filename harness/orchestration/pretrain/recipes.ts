/**
 * @module The source pre-training recipes as a per-batch preparation (adversarial examples, eval mode)
 * and a loss (train mode): PGD-AT, FGSM-RS, TRADES and AT+FDM (CARTL's source side).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Classifier } from '../../foundation/models/classifier.ts';
import { crossEntropy, klDivergence } from '../../foundation/nn/losses.ts';
import type { SourceRecipe } from '../../protocol/schema.ts';
import type { Rng } from '../../foundation/rng.ts';
import type { Batch } from '../train/fit.ts';
import { tradesAdversary } from '../train/trades-adversary.ts';
import { trainingAttack } from '../train/training-attack.ts';
import { fdmObjective } from './fdm.ts';

export interface RecipeStep {
  prepare(batch: Batch): Record<string, tf.Tensor>;
  loss(batch: Batch, prepared: Record<string, tf.Tensor>): tf.Scalar;
  /** What the recipe adds to the source's record (e.g. FDM's boundary block). */
  readonly details: Record<string, unknown>;
  /** Undoes what the recipe did to the model (FDM's input capture). */
  dispose(): void;
}

export function recipeStep(recipe: SourceRecipe, model: Classifier, rng: Rng): RecipeStep {
  const attackRng = rng.fork('attack');
  const { norm, eps } = recipe.threat;
  if (recipe.recipe === 'trades') {
    const beta = recipe.beta ?? 6;
    return {
      prepare: ({ x }) => ({
        xAdv: tradesAdversary(
          model,
          x,
          { steps: recipe.steps, stepSize: recipe.stepSize, eps, norm },
          attackRng.nextSeed(),
        ),
      }),
      loss: ({ x, y }, { xAdv }) => {
        const logits = model.forward(x);
        const kl = tf.mean(klDivergence(model.forward(xAdv) as tf.Tensor2D, logits, 'none'));
        return tf.add(crossEntropy(logits, y), tf.mul(beta, kl)) as tf.Scalar;
      },
      details: { beta },
      dispose: () => {},
    };
  }
  // FGSM-RS is one step from a uniform random start (step 1.25 eps by convention), then clipped to the ball.
  const attack = trainingAttack({
    norm,
    eps,
    stepSize: recipe.stepSize,
    steps: recipe.recipe === 'fgsm-rs' ? 1 : recipe.steps,
    randomStart: true,
  });
  const prepare = ({ x, y }: Batch) => ({ xAdv: attack(model, x, y, attackRng.nextSeed()) });
  if (recipe.recipe === 'at-fdm') {
    const objective = fdmObjective(model, recipe.fdm!);
    return {
      prepare,
      loss: ({ x, y }, { xAdv }) => objective.loss(x, xAdv as tf.Tensor4D, y).loss,
      details: { fdmBoundary: objective.boundary },
      dispose: () => objective.remove(),
    };
  }
  return {
    prepare,
    loss: ({ y }, { xAdv }) => crossEntropy(model.forward(xAdv) as tf.Tensor2D, y),
    details: {},
    dispose: () => {},
  };
}
