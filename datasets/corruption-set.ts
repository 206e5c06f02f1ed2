/**
 * @module Corrupted test sets as datasets. Ids: `cifar10-c` names the whole set; `cifar10-c:<corruption>:<severity>`
 * (e.g. `cifar10-c:gaussian_noise:3`) selects one split, whose `load('test')` returns it, so every
 * harness path that takes a dataset id can evaluate on it. A corruption evaluation iterates
 * `corruptions` x `severities` and calls `loadCorrupted(c, s)`. There is no train split: models train
 * on `clean`. Splits are not memoised in memory (19 x 5 CIFAR splits are 2.9 GB).
 */
import { UnknownIdError } from '../harness/foundation/util/registry.ts';
import type { DatasetSource } from './sources.ts';
import type { CorruptionDataset, DataSplit, SplitName } from './types.ts';

/** The 15 corruptions of the benchmark (Hendrycks & Dietterich, ICLR 2019), in their paper's order. */
export const BENCHMARK_CORRUPTIONS = [
  'gaussian_noise',
  'shot_noise',
  'impulse_noise',
  'defocus_blur',
  'glass_blur',
  'motion_blur',
  'zoom_blur',
  'snow',
  'frost',
  'fog',
  'brightness',
  'contrast',
  'elastic_transform',
  'pixelate',
  'jpeg_compression',
] as const;

/** The 4 extra corruptions shipped alongside (held out of the benchmark average). */
export const EXTRA_CORRUPTIONS = ['speckle_noise', 'gaussian_blur', 'spatter', 'saturate'] as const;

export const SEVERITIES = [1, 2, 3, 4, 5] as const;

export interface Selection {
  corruption: string;
  severity: number;
}

export interface CorruptionSetDef {
  id: string;
  clean: string;
  version: string;
  classNames: readonly string[];
  inputShape: readonly [number, number, number];
  mean: readonly number[];
  std: readonly number[];
  source: DatasetSource;
  folder: string;
  corruptions: readonly string[];
  extraCorruptions: readonly string[];
  loadOne(corruption: string, severity: number): Promise<DataSplit>;
  prepare(): Promise<void>;
}

export function checkSelection(
  def: Pick<CorruptionSetDef, 'id' | 'corruptions' | 'extraCorruptions'>,
  corruption: string,
  severity: number,
): void {
  const known = [...def.corruptions, ...def.extraCorruptions];
  if (!known.includes(corruption)) throw new UnknownIdError(`${def.id} corruption`, corruption, known);
  if (!(SEVERITIES as readonly number[]).includes(severity))
    throw new Error(`${def.id}: severity ${severity} is not one of ${SEVERITIES.join(', ')}`);
}

export function corruptionSet(def: CorruptionSetDef, selected?: Selection): CorruptionDataset {
  if (selected) checkSelection(def, selected.corruption, selected.severity);
  const loadCorrupted = (corruption: string, severity: number): Promise<DataSplit> => {
    try {
      checkSelection(def, corruption, severity);
    } catch (err) {
      return Promise.reject(err);
    }
    return def.loadOne(corruption, severity);
  };
  let selectedSplit: Promise<DataSplit> | undefined;
  return {
    id: selected ? `${def.id}:${selected.corruption}:${selected.severity}` : def.id,
    version: selected ? `${def.version}/${selected.corruption}-${selected.severity}` : def.version,
    classNames: def.classNames,
    inputShape: def.inputShape,
    mean: def.mean,
    std: def.std,
    source: def.source,
    folder: def.folder,
    clean: def.clean,
    corruptions: def.corruptions,
    extraCorruptions: def.extraCorruptions,
    severities: SEVERITIES,
    selected,
    loadCorrupted,
    load(split: SplitName) {
      if (split === 'train')
        return Promise.reject(new Error(`${def.id}: corrupted sets have only a test split (train on '${def.clean}')`));
      if (!selected) {
        return Promise.reject(
          new Error(
            `${def.id}: choose a corruption and severity, e.g. '${def.id}:${def.corruptions[0]}:3' (corruptions: ${def.corruptions.join(', ')})`,
          ),
        );
      }
      selectedSplit ??= loadCorrupted(selected.corruption, selected.severity);
      selectedSplit.catch(() => (selectedSplit = undefined));
      return selectedSplit;
    },
    prepare: () => def.prepare(),
  };
}
