/** A submitted entry that leaks: it keeps a tensor from every call alive. */
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { defineMethod } from '../../../../../methods/define.ts';

const kept: tf.Tensor[] = [];

export default defineMethod({
  id: 'leaky-submitted',
  title: 'Leaky',
  description: 'Returns the model untouched but leaves tensors behind.',
  config: z.strictObject({}),
  fineTune: async (ctx) => {
    kept.push(tf.zeros([3]), tf.ones([2]));
    return ctx.model;
  },
});
