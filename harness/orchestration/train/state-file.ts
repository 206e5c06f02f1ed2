/**
 * @module Tensor files of training checkpoints: named tensors exactly as tfjs holds them (no PyTorch layout
 * conversion, float32 and int32 bit for bit) in a safetensors container, written atomically.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from '../../foundation/checkpoint/safetensors.ts';
import { writeFileAtomic } from '../../foundation/util/atomic-write.ts';

function toSafe(name: string, t: tf.Tensor): SafeTensor {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    throw new Error(`training checkpoint: tensor ${name} has dtype ${t.dtype}; only float32 and int32 are saved`);
  }
  // A copy: the values may be a view of the backend's memory.
  const values =
    t.dtype === 'float32'
      ? Float32Array.from(t.dataSync() as Float32Array)
      : Int32Array.from(t.dataSync() as Int32Array);
  return { dtype: t.dtype === 'float32' ? 'F32' : 'I32', shape: [...t.shape], data: new Uint8Array(values.buffer) };
}

/** Writes the tensors (read, not disposed) to `path` atomically. */
export function writeTensorFile(path: string, tensors: Readonly<Record<string, tf.Tensor>>): void {
  const entries = new Map(Object.entries(tensors).map(([name, t]) => [name, toSafe(name, t)]));
  writeFileAtomic(path, encodeSafetensors(entries, {}));
}

/** Every tensor of a file written by writeTensorFile, as new tensors the caller owns. */
export function readTensorFile(path: string): Record<string, tf.Tensor> {
  const file = decodeSafetensors(new Uint8Array(readFileSync(path)), path);
  const out: Record<string, tf.Tensor> = {};
  for (const [name, s] of file.tensors) {
    // Copy: the file's bytes need not be aligned for a typed-array view.
    const bytes = new Uint8Array(s.data).buffer;
    if (s.dtype === 'F32') out[name] = tf.tensor(new Float32Array(bytes), s.shape, 'float32');
    else if (s.dtype === 'I32') out[name] = tf.tensor(new Int32Array(bytes), s.shape, 'int32');
    else {
      tf.dispose(Object.values(out));
      throw new Error(`${path}: tensor ${name} has dtype ${s.dtype}; a training checkpoint holds only F32 and I32`);
    }
  }
  return out;
}
