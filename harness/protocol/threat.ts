/** @module The threat model: a norm and a radius. The norm list is the attacks' own (attacks/types.ts). */
import { z } from 'zod';
import { NORMS, type Norm } from '../../attacks/types.ts';

export { NORMS, type Norm };

export const ThreatSchema = z.strictObject({
  norm: z.enum(NORMS),
  eps: z.number().positive(),
});

export type Threat = z.infer<typeof ThreatSchema>;
