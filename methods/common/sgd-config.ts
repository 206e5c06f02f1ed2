/** @module The SGD options most entries share, as a zod fragment with the usual fine-tuning defaults. */
import { z } from 'zod';

export const sgdConfig = {
  lr: z.number().positive().default(0.01).describe('peak learning rate'),
  momentum: z.number().min(0).max(1).default(0.9),
  weightDecay: z.number().min(0).default(5e-4),
  schedule: z.enum(['cosine', 'constant']).default('cosine').describe('learning-rate schedule over the budget'),
};
