/**
 * @module The dataset contract: every loader returns its splits as raw uint8 NHWC images + int labels,
 * held in memory; tensors are made per batch by `datasets/batches.ts`, on the active backend.
 */

export type SplitName = 'train' | 'test';

/** One split in memory. `images` is NHWC uint8, row-major, `n * h * w * c` bytes. */
export interface DataSplit {
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  readonly n: number;
  /** [height, width, channels] */
  readonly shape: readonly [number, number, number];
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
}

export interface LoadOptions {
  /** Root of the data cache; default `$RFTBENCH_DATA` or `~/.cache/rftbench`. */
  readonly dataDir?: string;
  /** Allow network downloads (never in tests). Default true. */
  readonly download?: boolean;
}
