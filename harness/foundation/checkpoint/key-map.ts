/**
 * @module Key mapping from published PyTorch state dicts to our models' names. Built-in rules strip the
 * usual wrappers (`module.` of nn.DataParallel, `model.`, MadryLab robustness's `module.model.`), take
 * the checkpoint's own input normaliser out as mean/std (MadryLab `normalizer.new_mean/new_std`), drop
 * MadryLab's `attacker.model.*` duplicate after checking it against the main copy, then apply the user's
 * prefix rules (`--map FROM=TO`, in order) and drops the prefixes they name (`--drop PREFIX`: modules a
 * checkpoint registers but never runs, such as RobustBench's `sub_block1`). Loading then matches every key.
 */
import { loadTorchTensors } from './checkpoint.ts';
import { FLOAT_DTYPES, floatValues } from './dtypes.ts';
import type { SafeTensor } from './safetensors.ts';
import type { Module } from '../nn/module.ts';

export interface MappingReport {
  /** Prefix rewrites in the order applied, with how many keys each renamed. */
  rewrites: { from: string; to: string; keys: number; rule: 'wrapper' | 'user' }[];
  /** Keys left out of the model, grouped by prefix, with why. */
  dropped: { prefix: string; keys: number; reason: string }[];
  /** The checkpoint's input normalisation (per channel), when it stores one, and the keys it came from. */
  normalizer?: { mean: number[]; std: number[]; keys: [string, string] };
  /** Buffers the file lacks and that are set to 0: num_batches_tracked, absent before PyTorch 0.4.1. */
  filled: string[];
}

export interface MappedStateDict {
  /** Tensors under our names, still in PyTorch layout. */
  tensors: Map<string, SafeTensor>;
  report: MappingReport;
}

/** Prefixes that wrap a whole model: stripped when every remaining key starts with one. */
const WRAPPERS = ['module.', 'model.'];
/** Where input normalisers live: the main one, and MadryLab's attacker's copy of it. */
const NORMALIZERS = ['normalizer.', 'normalize.'];
const ATTACKER_NORMALIZERS = ['attacker.normalize.', 'attacker.normalizer.'];
const MEAN_NAMES = ['new_mean', 'mean'];
const STD_NAMES = ['new_std', 'std'];
const ATTACKER_MODEL = 'attacker.model.';

/** Parses `FROM=TO` (TO may be empty: strip FROM). */
export function parseKeyMapRule(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new Error(`key map rule '${text}' must look like FROM=TO (a key prefix and its replacement)`);
  return [text.slice(0, at), text.slice(at + 1)];
}

/**
 * Renames a state dict's keys to our model's names. `file` names every error; `userRules` (FROM → TO,
 * applied in insertion order after the built-in rules) rewrite key prefixes.
 */
export function mapStateDictKeys(
  tensors: ReadonlyMap<string, SafeTensor>,
  file: string,
  userRules: Readonly<Record<string, string>> = {},
  dropPrefixes: readonly string[] = [],
): MappedStateDict {
  const report: MappingReport = { rewrites: [], dropped: [], filled: [] };
  let keys = new Map(tensors);
  // A wrapper can sit inside another (DataParallel around MadryLab's AttackerModel): peel level by level.
  for (;;) {
    takeNormalizer(keys, file, report);
    dropAttackerCopy(keys, file, report);
    const wrapper = WRAPPERS.find((p) => keys.size > 0 && [...keys.keys()].every((k) => k.startsWith(p)));
    if (!wrapper) break;
    keys = rewritePrefix(keys, wrapper, '', file, report, 'wrapper');
  }
  for (const [from, to] of Object.entries(userRules)) {
    const before = report.rewrites.length;
    keys = rewritePrefix(keys, from, to, file, report, 'user');
    if (report.rewrites.length === before) {
      const sample = [...keys.keys()].slice(0, 3).join(', ');
      throw new Error(`${file}: key map rule '${from}=${to}' (--map) matches no key; the keys look like: ${sample}`);
    }
  }
  for (const prefix of dropPrefixes) {
    const hits = [...keys.keys()].filter((k) => k.startsWith(prefix));
    if (!hits.length) throw new Error(`${file}: --drop '${prefix}' matches no key (after the renames)`);
    for (const k of hits) keys.delete(k);
    report.dropped.push({ prefix, keys: hits.length, reason: 'dropped as asked (--drop / dropKeys)' });
  }
  return { tensors: keys, report };
}

/**
 * Loads mapped tensors into `model`: every parameter and buffer must be there with its PyTorch shape,
 * and nothing else; otherwise one StateDictError naming `source` lists the missing, unexpected and
 * mis-shaped keys together. A missing num_batches_tracked beside its BN statistics is set to 0.
 */
export function loadMappedStateDict(model: Module, mapped: MappedStateDict, source: string): void {
  const tensors = new Map(mapped.tensors);
  mapped.report.filled = []; // per load, so loading the same mapping twice reports it once
  for (const [name] of model.namedBuffers()) {
    const bn = name.endsWith('.num_batches_tracked') ? name.slice(0, -'num_batches_tracked'.length) : undefined;
    if (bn !== undefined && !tensors.has(name) && tensors.has(`${bn}running_mean`)) {
      tensors.set(name, { dtype: 'I64', shape: [], data: new Uint8Array(8) });
      mapped.report.filled.push(name);
    }
  }
  loadTorchTensors(model, tensors, source, { strict: true });
}

/** Human-readable lines: what was renamed, dropped, taken as normalisation or filled. */
export function describeMapping(report: MappingReport): string[] {
  const lines: string[] = [];
  for (const r of report.rewrites) {
    const what = r.to ? `renamed prefix '${r.from}' to '${r.to}'` : `stripped prefix '${r.from}'`;
    lines.push(`${what} (${r.rule === 'user' ? '--map' : 'wrapper'}): ${r.keys} keys`);
  }
  if (report.normalizer) {
    const { mean, std, keys } = report.normalizer;
    lines.push(`input normalisation from ${keys.join(' / ')}: mean [${fmt(mean)}], std [${fmt(std)}]`);
  }
  for (const d of report.dropped) lines.push(`dropped ${d.prefix}* (${d.keys} keys): ${d.reason}`);
  if (report.filled.length) {
    lines.push(`set to 0 (absent from the file): ${report.filled.length} num_batches_tracked buffers`);
  }
  if (!lines.length) lines.push('keys already match the model: nothing renamed or dropped');
  return lines;
}

const fmt = (v: number[]) => v.map((x) => Number(x.toPrecision(6))).join(', ');

function rewritePrefix(
  keys: Map<string, SafeTensor>,
  from: string,
  to: string,
  file: string,
  report: MappingReport,
  rule: 'wrapper' | 'user',
): Map<string, SafeTensor> {
  const out = new Map<string, SafeTensor>();
  const origin = new Map<string, string>();
  let n = 0;
  for (const [key, t] of keys) {
    const hit = key.startsWith(from);
    const next = hit ? to + key.slice(from.length) : key;
    if (hit) n++;
    const clash = origin.get(next);
    if (clash !== undefined) {
      throw new Error(`${file}: renaming prefix '${from}' to '${to}' maps both '${clash}' and '${key}' to '${next}'`);
    }
    origin.set(next, key);
    out.set(next, t);
  }
  if (n > 0) report.rewrites.push({ from, to, keys: n, rule });
  return n > 0 ? out : keys;
}

/** Finds `<prefix>(new_)mean` + `<prefix>(new_)std` for the first prefix that has both. */
function findNormalizer(keys: Map<string, SafeTensor>, prefixes: string[]): [string, string] | undefined {
  for (const p of prefixes) {
    const mean = MEAN_NAMES.map((n) => p + n).find((k) => keys.has(k));
    const std = STD_NAMES.map((n) => p + n).find((k) => keys.has(k));
    if (mean && std) return [mean, std];
  }
  return undefined;
}

function takeNormalizer(keys: Map<string, SafeTensor>, file: string, report: MappingReport): void {
  const main = findNormalizer(keys, NORMALIZERS);
  const copy = findNormalizer(keys, ATTACKER_NORMALIZERS);
  const source = main ?? copy;
  if (!source) return;
  const mean = normalizerValues(keys.get(source[0])!, source[0], file);
  const std = normalizerValues(keys.get(source[1])!, source[1], file);
  if (mean.length !== std.length) {
    throw new Error(`${file}: ${source[0]} has ${mean.length} values but ${source[1]} has ${std.length}`);
  }
  if (report.normalizer)
    throw new Error(`${file}: two input normalisers (${report.normalizer.keys[0]} and ${source[0]})`);
  if (main && copy) {
    const same = [0, 1].every((i) => sameValues(keys.get(main[i])!, keys.get(copy[i])!));
    if (!same) {
      throw new Error(
        `${file}: ${copy.join(' / ')} differ from ${main.join(' / ')}; which normalisation applies is unclear`,
      );
    }
    for (const k of copy) keys.delete(k);
    report.dropped.push({ prefix: commonPrefix(copy), keys: 2, reason: `a copy of ${main.join(' / ')}` });
  }
  for (const k of source) keys.delete(k);
  report.normalizer = { mean, std, keys: source };
}

/** MadryLab's AttackerModel registers the network twice (model.*, attacker.model.*): keep one. */
function dropAttackerCopy(keys: Map<string, SafeTensor>, file: string, report: MappingReport): void {
  const copy = [...keys.keys()].filter((k) => k.startsWith(ATTACKER_MODEL));
  if (!copy.length) return;
  const mainKeys = [...keys.keys()].filter((k) => k.startsWith('model.'));
  const mainSet = new Set(mainKeys);
  const unmatched = copy.filter((k) => !mainSet.has(k.slice('attacker.'.length)));
  if (unmatched.length || mainKeys.length !== copy.length) {
    const extra = unmatched.slice(0, 3).join(', ') || `${mainKeys.length} keys under model. vs ${copy.length}`;
    throw new Error(`${file}: ${ATTACKER_MODEL}* is not a copy of model.* (${extra}); map the keys with --map`);
  }
  const differing = copy.filter((k) => !sameValues(keys.get(k)!, keys.get(k.slice('attacker.'.length))!)).length;
  for (const k of copy) keys.delete(k);
  const reason = differing
    ? `MadryLab's attacker copy, same keys as model.* but ${differing} tensors differ; model.* is loaded`
    : "MadryLab's attacker copy, equal to model.*";
  report.dropped.push({ prefix: ATTACKER_MODEL, keys: copy.length, reason });
}

function commonPrefix(keys: string[]): string {
  const [first] = keys;
  return first.slice(0, first.lastIndexOf('.') + 1);
}

function sameValues(a: SafeTensor, b: SafeTensor): boolean {
  if (a.dtype !== b.dtype || a.shape.join() !== b.shape.join() || a.data.length !== b.data.length) return false;
  const bytes = (t: SafeTensor) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.length);
  return bytes(a).equals(bytes(b));
}

/** A normaliser's values ([C, 1, 1] or [C]) as plain numbers, for the model spec. */
function normalizerValues(t: SafeTensor, key: string, file: string): number[] {
  if (!FLOAT_DTYPES.has(t.dtype))
    throw new Error(`${file}: ${key} has dtype ${t.dtype}; an input normaliser holds floats`);
  return [...floatValues(t)];
}
