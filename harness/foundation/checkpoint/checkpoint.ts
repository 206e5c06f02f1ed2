/**
 * @module Checkpoints: a module's state dict as safetensors in PyTorch layout and names (conv OIHW,
 * linear [out, in], num_batches_tracked int64), so a PyTorch checkpoint maps name for name. Our
 * metadata (architecture, recipe, provenance) is JSON under `__metadata__.rftbench`. Writes are atomic.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { StateDictError, type LoadReport, type Module } from '../nn/module.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { FLOAT_DTYPES, floatValues, intValues } from './dtypes.ts';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from './safetensors.ts';

/** How a parameter is laid out in tfjs vs PyTorch. */
export type Layout = 'conv' | 'linear' | 'plain';

/** Rank-4 weights are convolutions (HWIO here, OIHW on disk); rank-2 weights are linear ([in,out] vs [out,in]). */
export function defaultLayoutOf(name: string, shape: readonly number[]): Layout {
  if (!name.endsWith('weight')) return 'plain';
  if (shape.length === 4) return 'conv';
  if (shape.length === 2) return 'linear';
  return 'plain';
}

const TO_TORCH: Record<Layout, number[] | undefined> = { conv: [3, 2, 0, 1], linear: [1, 0], plain: undefined };
const FROM_TORCH: Record<Layout, number[] | undefined> = { conv: [2, 3, 1, 0], linear: [1, 0], plain: undefined };

function toSafeTensor(t: tf.Tensor, layout: Layout): SafeTensor {
  const perm = TO_TORCH[layout];
  const onDisk = perm ? tf.transpose(t, perm) : t;
  try {
    if (t.dtype === 'int32') {
      // PyTorch stores counters (num_batches_tracked) as int64.
      const v = onDisk.dataSync() as Int32Array;
      const out = new BigInt64Array(v.length);
      v.forEach((x, i) => (out[i] = BigInt(x)));
      return { dtype: 'I64', shape: onDisk.shape, data: new Uint8Array(out.buffer) };
    }
    const v = Float32Array.from(onDisk.dataSync() as Float32Array);
    return { dtype: 'F32', shape: onDisk.shape, data: new Uint8Array(v.buffer) };
  } finally {
    if (onDisk !== t) onDisk.dispose();
  }
}

function fromSafeTensor(name: string, s: SafeTensor, layout: Layout, file: string): tf.Tensor {
  // Floats of any width load as float32, integers (int64 counters) as int32; the helpers copy, so
  // the file's bytes need not be 4/8-byte aligned.
  let t: tf.Tensor;
  if (FLOAT_DTYPES.has(s.dtype)) t = tf.tensor(floatValues(s), s.shape, 'float32');
  else {
    const ints = intValues(s);
    const bad = ints.findIndex((x) => x > 2147483647n || x < -2147483648n);
    if (bad >= 0) throw new Error(`${file}: tensor ${name} holds ${ints[bad]}, beyond the int32 range rftbench loads`);
    t = tf.tensor(
      Int32Array.from(ints, (x) => Number(x)),
      s.shape,
      'int32',
    );
  }
  const perm = FROM_TORCH[layout];
  if (!perm) return t;
  const out = tf.transpose(t, perm);
  t.dispose();
  return out;
}

/** Torch-side shape of one of our parameters. */
function torchShape(shape: readonly number[], layout: Layout): number[] {
  const perm = TO_TORCH[layout];
  return perm ? perm.map((p) => shape[p]) : [...shape];
}

export interface CheckpointOptions {
  layoutOf?: (name: string, shape: readonly number[]) => Layout;
}

/** Writes atomically (see atomic-write.ts: a failure leaves the previous file intact) and returns the file's sha256. */
export function saveCheckpoint(
  path: string,
  module: Module,
  metadata: Record<string, unknown>,
  opts: CheckpointOptions = {},
): string {
  const layoutOf = opts.layoutOf ?? defaultLayoutOf;
  const state = module.stateDict();
  const tensors = new Map<string, SafeTensor>();
  try {
    for (const [name, t] of Object.entries(state)) tensors.set(name, toSafeTensor(t, layoutOf(name, t.shape)));
  } finally {
    tf.dispose(state);
  }
  const bytes = encodeSafetensors(tensors, { format: 'pt', rftbench: JSON.stringify(metadata) });
  writeFileAtomic(path, bytes);
  return createHash('sha256').update(bytes).digest('hex');
}

export interface CheckpointFile {
  path: string;
  sha256: string;
  metadata: Record<string, unknown>;
  tensors: Map<string, SafeTensor>;
}

export function readCheckpointFile(path: string): CheckpointFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new Error(`${path}: cannot read checkpoint (${(err as Error).message})`);
  }
  const { tensors, metadata } = decodeSafetensors(bytes, path);
  let ours: Record<string, unknown> = {};
  if (metadata.rftbench) {
    try {
      ours = JSON.parse(metadata.rftbench);
    } catch {
      throw new Error(`${path}: __metadata__.rftbench is not valid JSON`);
    }
  }
  return { path, sha256: createHash('sha256').update(bytes).digest('hex'), metadata: ours, tensors };
}

/**
 * Loads a checkpoint into a module. Every key is checked before anything is written: missing,
 * unexpected and mis-shaped keys are listed together in one error naming the file.
 */
export function loadCheckpoint(
  path: string,
  module: Module,
  opts: CheckpointOptions & { strict?: boolean } = {},
): LoadReport {
  return loadTorchTensors(module, readCheckpointFile(path).tensors, path, opts);
}

/**
 * Loads tensors in PyTorch names and layout (from a safetensors or a PyTorch file) into a module,
 * converting the layout; `source` (the file) names the error that lists every bad key at once.
 */
export function loadTorchTensors(
  module: Module,
  tensors: ReadonlyMap<string, SafeTensor>,
  source: string,
  opts: CheckpointOptions & { strict?: boolean } = {},
): LoadReport {
  const layoutOf = opts.layoutOf ?? defaultLayoutOf;
  const own = new Map([...module.namedParameters(), ...module.namedBuffers()]);
  const report: LoadReport = { missing: [], unexpected: [], misshaped: [] };
  for (const key of own.keys()) if (!tensors.has(key)) report.missing.push(key);
  for (const [key, t] of tensors) {
    const v = own.get(key);
    if (!v) report.unexpected.push(key);
    else {
      const expected = torchShape(v.shape, layoutOf(key, v.shape));
      if (!tf.util.arraysEqual(expected, t.shape)) report.misshaped.push({ key, expected, got: t.shape });
    }
  }
  const strict = opts.strict ?? true;
  if (report.misshaped.length || (strict && (report.missing.length || report.unexpected.length))) {
    throw new StateDictError(report, source);
  }
  const state: Record<string, tf.Tensor> = {};
  try {
    for (const [key, t] of tensors) {
      const v = own.get(key);
      if (v) state[key] = fromSafeTensor(key, t, layoutOf(key, v.shape), source);
    }
    module.loadStateDict(state, { strict: false });
  } finally {
    tf.dispose(state);
  }
  return report;
}
