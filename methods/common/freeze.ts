/**
 * @module Freezing by block: the classifier's block split (defined once beside each architecture)
 * decides which parameters train. Frozen blocks also stay in eval mode, so their BatchNorm running
 * statistics do not move either: a frozen block is bit-identical after fine-tuning.
 */
import type { Classifier } from '../../harness/foundation/models/classifier.ts';

/** Module-name prefixes of the last k blocks (the head counts as a block). */
export function lastBlocks(model: Classifier, k: number): string[] {
  const blocks = model.blocks();
  if (!Number.isInteger(k) || k < 1 || k > blocks.length) {
    throw new Error(
      `${model.spec.arch} has ${blocks.length} blocks (head included); k must be 1..${blocks.length}, got ${k}`,
    );
  }
  return blocks.slice(blocks.length - k).flat();
}

const within = (name: string, prefixes: readonly string[]) =>
  prefixes.some((p) => name === p || name.startsWith(`${p}.`));

/** Only parameters under `prefixes` train; returns how many parameter tensors stay trainable. */
export function trainOnly(model: Classifier, prefixes: readonly string[]): number {
  model.setTrainable(() => true, false);
  return model.setTrainable((name) => within(name, prefixes), true);
}

/** Train mode for the modules under `prefixes`, eval mode for the rest (frozen BN keeps its statistics). */
export function trainModeOnly(model: Classifier, prefixes: readonly string[]): void {
  model.eval();
  for (const [name, m] of model.namedModules()) if (within(name, prefixes)) m.training = true;
}
