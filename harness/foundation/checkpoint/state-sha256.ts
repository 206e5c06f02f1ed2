/**
 * @module The sha256 of a module's state (every parameter and buffer: name, dtype, shape, bytes, in tree
 * order): equal weights give equal hashes whatever file they are written to, so two runs of a cell can be
 * compared bit for bit (a resumed run against an uninterrupted one).
 */
import { createHash } from 'node:crypto';
import type { Module } from '../nn/module.ts';

export function stateSha256(module: Module): string {
  const hash = createHash('sha256');
  for (const [name, v] of [...module.namedParameters(), ...module.namedBuffers()]) {
    hash.update(`${name}\0${v.dtype}\0${v.shape.join(',')}\0`);
    const values = v.dataSync();
    hash.update(new Uint8Array(values.buffer as ArrayBuffer, values.byteOffset, values.byteLength));
  }
  return hash.digest('hex');
}
