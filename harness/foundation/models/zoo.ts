/**
 * @module The model zoo: arch id → builder. Every model starts with its dataset's normalisation, so
 * attacks and eps live in [0,1] pixel space; parameter names follow the reference implementations.
 *
 * @example
 * const model = buildModel({ arch: 'resnet18', numClasses: 10, inputShape: [32, 32, 3], mean, std }, seed);
 */
import { EagerRegistry } from '../util/registry.ts';
import type { Classifier, ModelSpec } from './classifier.ts';
import { preactResnet18 } from './preact-resnet.ts';
import { resnet18, resnet34, smallResnet } from './resnet-cifar.ts';
import { resnet50 } from './resnet-imagenet.ts';
import type { WidthScalableBuilder } from './stages.ts';
import { wideResnet } from './wide-resnet.ts';

export type ModelBuilder = (spec: ModelSpec, seed: number) => Classifier;

/** Architecture id → builder; unknown ids throw UnknownIdError with "did you mean". */
export const architectures = new EagerRegistry<ModelBuilder>('architecture', {
  'small-resnet': smallResnet,
  resnet18,
  resnet34,
  resnet50,
  'preact-resnet18': preactResnet18,
  'wrn-28-4': wideResnet(28, 4),
  'wrn-28-10': wideResnet(28, 10),
  'wrn-34-10': wideResnet(34, 10),
}).freeze();

/** The stem's channel count of `arch` when `spec.width` is absent; undefined for archs that take no width. */
export function defaultWidth(arch: string): number | undefined {
  const make = architectures.get(arch);
  return 'baseWidths' in make ? (make as WidthScalableBuilder).baseWidths[0] : undefined;
}

/** A freshly initialised model; the same spec and seed give the same weights. */
export function buildModel(spec: ModelSpec, seed: number): Classifier {
  const make = architectures.get(spec.arch);
  const channels = spec.inputShape[2];
  if (spec.mean.length !== channels || spec.std.length !== channels) {
    throw new Error(
      `${spec.arch}: mean/std need ${channels} channel values, got ${spec.mean.length}/${spec.std.length}`,
    );
  }
  if (!Number.isInteger(spec.numClasses) || spec.numClasses < 1)
    throw new Error(`${spec.arch}: numClasses must be a positive integer, got ${spec.numClasses}`);
  if (spec.width !== undefined && defaultWidth(spec.arch) === undefined) {
    throw new Error(`${spec.arch}: takes no width (its channel counts are fixed by its id), got width ${spec.width}`);
  }
  return make(spec, seed);
}
