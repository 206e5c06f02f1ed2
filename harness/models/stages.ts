/**
 * @module The stage layout ResNet variants share: stage k holds blocks[k] blocks of widths[k] planes
 * (times the block's expansion); the first block of every stage after the first strides by 2.
 */
import { Sequential } from '../nn/container.ts';
import type { Module } from '../nn/module.ts';

export type MakeBlock = (inPlanes: number, planes: number, stride: number) => Module;

/** Builds the stages (to be registered as layer1…layerK) and returns them with the output channels. */
export function buildStages(
  inPlanes: number,
  widths: readonly number[],
  blocks: readonly number[],
  make: MakeBlock,
  expansion = 1,
): { stages: Sequential[]; outPlanes: number } {
  if (widths.length !== blocks.length) throw new Error(`buildStages: ${widths.length} widths but ${blocks.length} block counts`);
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
