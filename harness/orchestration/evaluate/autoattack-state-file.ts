/**
 * @module AutoAttack's per-point state in a JSON file, so a long evaluation (`rftbench eval --state FILE`)
 * resumes where it stopped: the attack saves it after every batch through a state store, and this store
 * writes it atomically (a kill mid-write leaves the previous state) and checks it when read back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  autoAttack,
  STATE_FORMAT,
  type AutoAttack,
  type AutoAttackOptions,
  type AutoAttackState,
  type AutoAttackStateStore,
} from '../../../attacks/autoattack.ts';
import { writeFileAtomic } from '../../foundation/util/atomic-write.ts';

const StateFileSchema = z.object({
  format: z.literal(STATE_FORMAT),
  attacksToRun: z.array(z.string()),
  runAttacks: z.array(z.string()),
  robustFlags: z.array(z.boolean()),
  cleanAccuracy: z.number().min(0).max(1),
  robustAccuracyAfter: z.array(z.object({ attack: z.string(), robustAccuracy: z.number().min(0).max(1) })),
  inProgress: z
    .object({
      attack: z.string(),
      points: z.array(z.number().int().nonnegative()),
      batchesDone: z.number().int().nonnegative(),
    })
    .optional(),
});

/** Reads a state file; a file that is not one fails naming the file and each bad field. */
function readStateFile(path: string): AutoAttackState {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`autoattack: ${path} is not an AutoAttack state file (not valid JSON: ${(err as Error).message})`);
  }
  const format = (raw as { format?: unknown } | null)?.format;
  if (format !== STATE_FORMAT)
    throw new Error(`autoattack: ${path} is not an AutoAttack state file (format '${String(format)}')`);
  const r = StateFileSchema.safeParse(raw);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  throw new Error(`autoattack: ${path}: invalid state file\n${lines.join('\n')}`);
}

/** The state in the JSON file at `path` (none yet while the file does not exist). */
export function fileStateStore(path: string): AutoAttackStateStore {
  return {
    load: () => (existsSync(path) ? readStateFile(path) : undefined),
    save: (state) => writeFileAtomic(path, JSON.stringify(state)),
  };
}

/** A state store, or a file path to keep the state in. */
export type StateStoreOrFile = string | AutoAttackStateStore;

export function stateStoreOf(state: StateStoreOrFile): AutoAttackStateStore {
  return typeof state === 'string' ? fileStateStore(state) : state;
}

/** autoAttack's options, with `state` also a file path. */
export type ResumableAutoAttackOptions = Partial<Omit<AutoAttackOptions, 'state'>> & {
  readonly state?: StateStoreOrFile;
};

/** AutoAttack whose per-point state may live in a file (resumed from it when it exists). */
export function resumableAutoAttack(options: ResumableAutoAttackOptions = {}): AutoAttack {
  const { state, ...rest } = options;
  return autoAttack(state === undefined ? rest : { ...rest, state: stateStoreOf(state) });
}
