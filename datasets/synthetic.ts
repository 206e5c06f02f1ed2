/**
 * @module `synthetic`: a tiny, seeded, learnable dataset for tests and the smoke tier. Each class has a
 * fixed random prototype image; a sample is its class prototype blended with noise, so a small model
 * separates the classes within seconds while PGD at 8/255 can still move some points.
 */
import { Rng } from '../harness/foundation/rng.ts';
import type { DataSplit, Dataset, SplitName } from './types.ts';

export interface SyntheticOptions {
  numClasses: number;
  trainSize: number;
  testSize: number;
  shape: [number, number, number];
  seed: number;
  /** Noise amplitude in [0,1] pixel units. */
  noise: number;
  /** Spread of the class prototypes around mid-grey: small values put classes within reach of an 8/255 attack. */
  contrast: number;
}

export const SYNTHETIC_DEFAULTS: SyntheticOptions = {
  numClasses: 4,
  trainSize: 512,
  testSize: 256,
  shape: [8, 8, 1],
  seed: 0,
  noise: 0.3,
  contrast: 0.4,
};

function makeSplit(o: SyntheticOptions, split: SplitName, prototypes: Float32Array[]): DataSplit {
  const n = split === 'train' ? o.trainSize : o.testSize;
  const rng = new Rng(o.seed).fork(`synthetic-${split}`);
  const per = o.shape[0] * o.shape[1] * o.shape[2];
  const images = new Uint8Array(n * per);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = i % o.numClasses;
    labels[i] = y;
    for (let j = 0; j < per; j++) {
      const v = (1 - o.noise) * prototypes[y][j] + o.noise * rng.next();
      images[i * per + j] = Math.max(0, Math.min(255, Math.round(v * 255)));
    }
  }
  return { images, labels, n, shape: o.shape };
}

export function syntheticDataset(options: Partial<SyntheticOptions> = {}): Dataset {
  const o = { ...SYNTHETIC_DEFAULTS, ...options };
  const per = o.shape[0] * o.shape[1] * o.shape[2];
  const protoRng = new Rng(o.seed).fork('prototypes');
  const prototypes = Array.from({ length: o.numClasses }, () =>
    Float32Array.from({ length: per }, () => 0.5 + o.contrast * (protoRng.next() - 0.5)),
  );
  const cache = new Map<SplitName, DataSplit>();
  return {
    id: 'synthetic',
    version: `synthetic-v1-c${o.numClasses}-n${o.trainSize}.${o.testSize}-${o.shape.join('x')}-s${o.seed}-z${o.noise}-k${o.contrast}`,
    classNames: Array.from({ length: o.numClasses }, (_, i) => `class-${i}`),
    inputShape: o.shape,
    mean: Array(o.shape[2]).fill(0.5),
    std: Array(o.shape[2]).fill(0.25),
    async load(split) {
      let s = cache.get(split);
      if (!s) {
        s = makeSplit(o, split, prototypes);
        cache.set(split, s);
      }
      return s;
    },
  };
}
