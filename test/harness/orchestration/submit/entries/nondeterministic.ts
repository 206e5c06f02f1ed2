/** A submitted entry that draws from Math.random instead of ctx.rng: its head differs run to run. */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineMethod } from '../../../../../methods/define.ts';

export default defineMethod({
  id: 'random-submitted',
  title: 'Unseeded',
  description: 'Perturbs the head with unseeded noise.',
  config: z.strictObject({}),
  fineTune: async (ctx) => {
    for (const [name, v] of ctx.model.namedParameters()) {
      if (!name.startsWith(`${ctx.model.headName}.`)) continue;
      const noisy = tf.tidy(() =>
        tf.add(v, tf.mul(tf.randomNormal(v.shape, 0, 1, 'float32', Math.floor(Math.random() * 1e9)), 5)),
      );
      v.assign(noisy);
      noisy.dispose();
    }
    return ctx.model;
  },
});
