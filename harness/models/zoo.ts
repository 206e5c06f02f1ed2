/**
 * @module The model zoo: arch id → builder. Every model starts with its dataset's normalisation, so
 * attacks and eps live in [0,1] pixel space; parameter names follow the reference implementations.
 */
import { UnknownIdError } from '../util/registry.ts';
import type { Classifier, ModelSpec } from './classifier.ts';
import { preactResnet18 } from './preact-resnet.ts';
import { resnet18, resnet34, smallResnet } from './resnet-cifar.ts';
import { resnet50 } from './resnet-imagenet.ts';
import { wideResnet } from './wide-resnet.ts';

const ARCHS: Record<string, (spec: ModelSpec, seed: number) => Classifier> = {
  'small-resnet': smallResnet,
  resnet18,
  resnet34,
  resnet50,
  'preact-resnet18': preactResnet18,
  'wrn-28-10': wideResnet(28, 10),
  'wrn-34-10': wideResnet(34, 10),
  'wrn-28-4': wideResnet(28, 4),
};

export function listArchs(): string[] {
  return Object.keys(ARCHS);
}

export function buildModel(spec: ModelSpec, seed: number): Classifier {
  const make = ARCHS[spec.arch];
  if (!make) throw new UnknownIdError('architecture', spec.arch, listArchs());
  if (spec.mean.length !== spec.inputShape[2] || spec.std.length !== spec.inputShape[2]) {
    throw new Error(`${spec.arch}: mean/std need ${spec.inputShape[2]} channel values, got ${spec.mean.length}/${spec.std.length}`);
  }
  return make(spec, seed);
}
