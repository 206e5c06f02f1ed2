/**
 * @module A `-c` variant of ANY dataset (`fashion-mnist-c`, `svhn-c`, `gtsrb-c` …): the base dataset's test
 * split with each corruption applied at each severity, generated here and cached like any split
 * (`<data>/<id>-c/cache/<version>/<corruption>-<severity>.*`). Image i of (corruption, severity) draws from
 * its own Rng stream, seeded from the recorded seed, so a split never depends on how many others were made.
 */
import { Rng } from '../../harness/foundation/rng.ts';
import { dataRoot } from '../cache-dir.ts';
import { BENCHMARK_CORRUPTIONS, corruptionSet, EXTRA_CORRUPTIONS, type Selection } from '../corruption-set.ts';
import { cachedSplit } from '../split-cache.ts';
import type { CorruptionDataset, DataSplit, Dataset } from '../types.ts';
import { corrupt, frostScale, IMPLEMENTED_CORRUPTIONS, type CorruptExtras } from './corruptions.ts';
import { frostTextures, type FrostOptions } from './frost-textures.ts';
import { jpegCodec } from './jpeg-codec.ts';
import { join } from 'node:path';

/** Bumped whenever a corruption's output could change. */
export const CORRUPTION_CODE_VERSION = 1;
export const GENERATED_SEED = 0;

/** Corrupts every image of a split with one corruption and severity (pure; no caching). */
export function corruptSplit(
  split: DataSplit,
  corruption: string,
  severity: number,
  seed = GENERATED_SEED,
  extras: CorruptExtras = {},
): DataSplit {
  const per = split.shape[0] * split.shape[1] * split.shape[2];
  const images = new Uint8Array(split.images.length);
  const root = new Rng(seed);
  for (let i = 0; i < split.n; i++) {
    const rng = root.fork(`${corruption}/${severity}/${i}`);
    images.set(
      corrupt(corruption, split.images.subarray(i * per, (i + 1) * per), split.shape, severity, rng, extras),
      i * per,
    );
  }
  return { images, labels: Int32Array.from(split.labels), n: split.n, shape: split.shape };
}

export function generatedCorruptionSet(
  base: Dataset,
  opts: FrostOptions = {},
  selected?: Selection,
  seed = GENERATED_SEED,
): CorruptionDataset {
  const id = `${base.id}-c`;
  const folder = join(dataRoot(opts), id);
  const version = `${base.version}+corruptions-v${CORRUPTION_CODE_VERSION}-seed${seed}`;
  return corruptionSet(
    {
      id,
      clean: base.id,
      version,
      classNames: base.classNames,
      inputShape: base.inputShape,
      mean: base.mean,
      std: base.std,
      source: { folderName: id, files: [] },
      folder,
      corruptions: BENCHMARK_CORRUPTIONS.filter((c) => IMPLEMENTED_CORRUPTIONS.includes(c)),
      extraCorruptions: EXTRA_CORRUPTIONS.filter((c) => IMPLEMENTED_CORRUPTIONS.includes(c)),
      loadOne: (corruption, severity) =>
        cachedSplit(
          { folder, version, split: `${corruption}-${severity}` },
          () => [],
          async () => {
            const clean = await base.load('test');
            const extras =
              corruption === 'frost'
                ? { frost: await frostTextures(frostScale(Math.max(clean.shape[0], clean.shape[1])), opts) }
                : corruption === 'jpeg_compression'
                  ? { jpeg: await jpegCodec() }
                  : {};
            return corruptSplit(clean, corruption, severity, seed, extras);
          },
        ),
      async prepare() {
        await base.load('test');
      },
    },
    selected,
  );
}
