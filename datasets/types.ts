/**
 * @module The dataset contract: every loader returns its splits as raw uint8 NHWC images + int labels,
 * held in memory; tensors are made per batch by `datasets/batches.ts`, on the active backend.
 */
import type { Augment } from '../harness/protocol/schema.ts';
import type { DatasetSource } from './sources.ts';

export type SplitName = 'train' | 'test';

/**
 * How a split's images become model input, batch by batch (datasets/batch-pipeline.ts): the task's
 * augmentation (training batches only), resize and channel rule. Plain data, so a worker thread given the
 * split rebuilds the same batches.
 */
export interface BatchPipeline {
  /** [height, width, channels] of the stored images it expects. */
  readonly inShape: readonly [number, number, number];
  /** [height, width, channels] of the batches: the model's input. */
  readonly outShape: readonly [number, number, number];
  /** Random crop / flip of training batches (toBatch with an epoch); absent: none. */
  readonly augment?: Augment;
  /** The cell's seed: example i's augmentation in epoch e comes from (seed, e, id of i). */
  readonly seed: number;
  /** The example id of each row when the split is a subset of the task's (RiFT's held-out rest); default the row. */
  readonly ids?: Int32Array;
}

/** One split in memory. `images` is NHWC uint8, row-major, `n * h * w * c` bytes. */
export interface DataSplit {
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  readonly n: number;
  /** [height, width, channels] */
  readonly shape: readonly [number, number, number];
  /** The protocol's per-batch transform into the model's input; absent: the images as they are. */
  readonly pipeline?: BatchPipeline;
}

export interface DatasetInfo {
  /** Registry id, kebab-case: `fashion-mnist`, `cifar10`, `synthetic`. */
  readonly id: string;
  /** Changes whenever the bytes a split yields could change (source files, split rule, preprocessing). */
  readonly version: string;
  readonly classNames: readonly string[];
  /** [height, width, channels] */
  readonly inputShape: readonly [number, number, number];
  /** Per-channel mean/std in [0,1] pixel units, used by the model's normalisation layer. */
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface Dataset extends DatasetInfo {
  /** Loads (from cache, a local folder, or a verified download) one split. */
  load(split: SplitName): Promise<DataSplit>;
  /** Where the files come from (absent for generated datasets); `fetch`/`verify` use it. */
  readonly source?: DatasetSource;
  /** `<data>/<folder>`: the files, the archives and `cache/` (absent for generated datasets). */
  readonly folder?: string;
  /** Downloads and extracts whatever is missing (all splits), without decoding. */
  prepare?(): Promise<void>;
}

/**
 * A corrupted test set (CIFAR-10-C, CIFAR-100-C, Tiny-ImageNet-C): one split per (corruption,
 * severity). `load('test')` works when the id selects one (`cifar10-c:gaussian_noise:3`); the
 * corruption evaluation iterates `corruptions` x `severities` through `loadCorrupted`.
 */
export interface CorruptionDataset extends Dataset {
  /** Id of the clean dataset these images are corrupted from (same classes and labels). */
  readonly clean: string;
  /** The 15 benchmark corruptions (Hendrycks & Dietterich 2019), in their usual order. */
  readonly corruptions: readonly string[];
  /** Further corruptions present in the files but not in the benchmark average (CIFAR: 4 extra). */
  readonly extraCorruptions: readonly string[];
  readonly severities: readonly number[];
  /** The selected (corruption, severity) when the id names one. */
  readonly selected?: { corruption: string; severity: number };
  loadCorrupted(corruption: string, severity: number): Promise<DataSplit>;
}

export function isCorruptionDataset(ds: Dataset): ds is CorruptionDataset {
  return typeof (ds as Partial<CorruptionDataset>).loadCorrupted === 'function';
}

export interface LoadOptions {
  /** Root of the data cache; default `$RFTBENCH_DATA` or `~/.cache/rftbench`. */
  readonly dataDir?: string;
  /** Allow network downloads (never in tests). Default true. */
  readonly download?: boolean;
  /** Base URL that replaces the official host of every file (a local mirror; tests use 127.0.0.1). */
  readonly mirror?: string;
  /** Progress and provenance lines (download, extraction, cache hits), e.g. `console.error`. */
  readonly log?: (line: string) => void;
}
