/**
 * @module The flip + crop augmentation RiFT fine-tunes with: zero-pad by `pad`, take a random crop of
 * the original size, flip horizontally with probability 1/2; seeded per batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../../harness/foundation/rng.ts';

export function flipCrop(x: tf.Tensor4D, rng: Rng, pad = 4): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const src = x.dataSync();
  const out = new Float32Array(src.length);
  for (let i = 0; i < n; i++) {
    const dy = rng.int(2 * pad + 1) - pad;
    const dx = rng.int(2 * pad + 1) - pad;
    const flip = rng.next() < 0.5;
    for (let r = 0; r < h; r++) {
      const sr = r + dy;
      if (sr < 0 || sr >= h) continue;
      for (let col = 0; col < w; col++) {
        const sc0 = col + dx;
        if (sc0 < 0 || sc0 >= w) continue;
        const dc = flip ? w - 1 - col : col;
        const from = ((i * h + sr) * w + sc0) * c;
        const to = ((i * h + r) * w + dc) * c;
        for (let k = 0; k < c; k++) out[to + k] = src[from + k];
      }
    }
  }
  return tf.tensor4d(out, [n, h, w, c]);
}
