/**
 * @module Zod schemas of the store's JSON columns as readers see them (`spec`, `provenance`, metric `details`):
 * loose, so older records still read, and field by field, so one odd field loses only itself.
 */
import { z } from 'zod';
import { ThreatSchema, type Threat } from './threat.ts';

const JsonObject = z.record(z.string(), z.unknown());
type Json = z.infer<typeof JsonObject>;

/** A stored cell spec (protocol/cells.ts CellSpec, as JSON). */
export const StoredSpecSchema = z.looseObject({
  protocol: z.number().int().optional(),
  seed: z.number().int().optional(),
  tier: z.looseObject({ id: z.string() }).optional(),
  task: z.looseObject({ id: z.string().optional(), threat: z.unknown(), source: JsonObject.optional() }).optional(),
  method: z.looseObject({ id: z.string().optional(), config: JsonObject.optional() }).optional(),
});

/** The facts pages read off a stored spec. */
export interface SpecFacts {
  readonly protocol: number | null;
  readonly threat: Threat | null;
  readonly methodConfig: Json;
  readonly source: Json | null;
}

export function specFacts(spec: unknown): SpecFacts {
  const s = StoredSpecSchema.safeParse(spec);
  const d = s.success ? s.data : {};
  const threat = ThreatSchema.safeParse(d.task?.threat);
  return {
    protocol: d.protocol ?? null,
    threat: threat.success ? threat.data : null,
    methodConfig: d.method?.config ?? {},
    source: d.task?.source ?? null,
  };
}

/** A cell's provenance (run/provenance.ts Environment plus the cell's sources and weights). */
export const StoredProvenanceSchema = z.looseObject({
  backend: z.string().optional(),
  /** The process's peak RSS when the cell ended (run/run-cell.ts); absent in records made before it was kept. */
  peakRssBytes: z.number().nonnegative().optional(),
  /** The fine-tuned weights' digest (run/run-cell.ts). */
  weightsSha256: z.string().optional(),
});
export type StoredProvenance = z.infer<typeof StoredProvenanceSchema>;

export function provenanceOf(provenance: unknown): StoredProvenance {
  const r = StoredProvenanceSchema.safeParse(provenance);
  return r.success ? r.data : {};
}

/** What every metric's details may carry: the harness's sanity flags, shown next to the number. */
export const BaseDetailsSchema = z.looseObject({ flags: z.array(z.unknown()).optional() });

export function detailFlags(details: unknown): unknown[] {
  const r = BaseDetailsSchema.safeParse(details);
  return r.success ? (r.data.flags ?? []) : [];
}
