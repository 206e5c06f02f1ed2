/**
 * @module The stage layout ResNet variants share: stage k holds blocks[k] blocks of widths[k] planes
 * (times the block's expansion); the first block of every stage after the first strides by 2.
 */
import { Sequential } from '../nn/container.ts';
import type { Module } from '../nn/module.ts';
import type { Classifier, ModelSpec } from './classifier.ts';

export type MakeBlock = (inPlanes: number, planes: number, stride: number) => Module;

/** Builds the stages (to be registered as layer1…layerK) and returns them with the output channels. */
export function buildStages(
  inPlanes: number,
  widths: readonly number[],
  blocks: readonly number[],
  make: MakeBlock,
  expansion = 1,
): { stages: Sequential[]; outPlanes: number } {
  if (widths.length !== blocks.length)
    throw new Error(`buildStages: ${widths.length} widths but ${blocks.length} block counts`);
  let planesIn = inPlanes;
  const stages = widths.map(
    (planes, li) =>
      new Sequential(
        ...Array.from({ length: blocks[li] }, (_, bi) => {
          const block = make(planesIn, planes, bi === 0 && li > 0 ? 2 : 1);
          planesIn = planes * expansion;
          return block;
        }),
      ),
  );
  return { stages, outPlanes: planesIn };
}

/** `layer1.0`, `layer1.1`, … one block each, for the block split. */
export function stageBlockNames(blocks: readonly number[]): string[][] {
  return blocks.flatMap((n, li) => Array.from({ length: n }, (_, bi) => [`layer${li + 1}.${bi}`]));
}

/** A zoo builder whose stage widths follow `spec.width` (the stem's channels), scaled from `baseWidths`. */
export interface WidthScalableBuilder {
  (spec: ModelSpec, seed: number): Classifier;
  readonly baseWidths: readonly number[];
}

/**
 * Wraps a builder so `spec.width` w turns the base layout (e.g. [64, 128, 256, 512]) into [w, 2w, 4w, 8w];
 * without `spec.width` it builds the base layout, so existing specs build exactly as before.
 */
export function widthScalable(
  baseWidths: readonly number[],
  make: (spec: ModelSpec, seed: number, widths: readonly number[]) => Classifier,
): WidthScalableBuilder {
  const build = (spec: ModelSpec, seed: number) => make(spec, seed, scaleWidths(spec.arch, baseWidths, spec.width));
  return Object.assign(build, { baseWidths });
}

function scaleWidths(arch: string, base: readonly number[], width: number | undefined): readonly number[] {
  if (width === undefined) return base;
  const widths = base.map((b) => (b * width) / base[0]);
  if (!Number.isInteger(width) || width < 1 || !widths.every(Number.isInteger)) {
    throw new Error(`${arch}: width must be a positive integer (the stem's channels), got ${width}`);
  }
  return widths;
}
