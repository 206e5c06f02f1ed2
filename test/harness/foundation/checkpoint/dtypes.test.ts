import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadCheckpoint,
  readCheckpointFile,
  saveCheckpoint,
} from '../../../../harness/foundation/checkpoint/checkpoint.ts';
import { bf16ToF32, f16ToF32, f64ToF32, toStandardDtype } from '../../../../harness/foundation/checkpoint/dtypes.ts';
import { encodeSafetensors, type SafeTensor } from '../../../../harness/foundation/checkpoint/safetensors.ts';
import { readStateDictFile } from '../../../../harness/foundation/checkpoint/state-dict-file.ts';
import type { ModelSpec } from '../../../../harness/foundation/models/classifier.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { useCpuBackend } from '../../../support/tf.ts';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/torch/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-dtypes-'));
beforeAll(useCpuBackend);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const u16 = (...xs: number[]) => new Uint8Array(Uint16Array.from(xs).buffer);
const floats = (t: SafeTensor) => Array.from(new Float32Array(new Uint8Array(t.data).buffer));

describe('dtype conversions', () => {
  it('f16 → f32 is exact, subnormals, infinities and NaN included', () => {
    const got = Array.from(
      f16ToF32(u16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x3555)),
    );
    expect(got.slice(0, 9)).toEqual([1, -2, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, -0, Infinity, -Infinity]);
    expect(got[9]).toBe(Math.fround(0.333251953125));
    expect(f16ToF32(u16(0x7e00))[0]).toBeNaN();
  });

  it('bf16 → f32 puts the bits back in the top half; f64 → f32 rounds to nearest', () => {
    const tiny = new Float32Array(new Uint32Array([0x10000]).buffer)[0]; // the smallest bf16 subnormal
    expect(Array.from(bf16ToF32(u16(0x3f80, 0xc2f7, 0x0001)))).toEqual([1, -123.5, tiny]);
    const f64 = new Uint8Array(Float64Array.from([0.1, 1 + 2 ** -30, -1e300]).buffer);
    expect(Array.from(f64ToF32(f64))).toEqual([Math.fround(0.1), 1, -Infinity]);
  });

  it('every integer and bool dtype becomes I64; reads unaligned data', () => {
    const i32: SafeTensor = {
      dtype: 'I32',
      shape: [2],
      data: new Uint8Array(Int32Array.from([-5, 2 ** 31 - 1]).buffer),
    };
    expect(Array.from(new BigInt64Array(toStandardDtype(i32).data.buffer))).toEqual([-5n, 2147483647n]);
    const bool: SafeTensor = { dtype: 'BOOL', shape: [3], data: Uint8Array.from([1, 0, 1]) };
    expect(toStandardDtype(bool)).toMatchObject({ dtype: 'I64', shape: [3] });
    const odd = new Uint8Array(9);
    odd.set(new Uint8Array(Float64Array.from([2.5]).buffer), 1);
    expect(floats(toStandardDtype({ dtype: 'F64', shape: [1], data: odd.subarray(1) }))).toEqual([2.5]);
  });
});

describe('safetensors written by others', () => {
  const expected = JSON.parse(readFileSync(join(FIXTURES, 'dtypes_and_views.json'), 'utf8')).tensors;

  it('reads F16/BF16/F64/I64 files without rftbench metadata, values as PyTorch converts them', () => {
    const half = readStateDictFile(join(FIXTURES, 'half.safetensors'));
    expect(half).toMatchObject({ format: 'safetensors', container: '(root)', metadata: {}, placeholders: [] });
    expect(floats(half.tensors.get('w')!)).toEqual(expected.half.values);
    expect(floats(half.tensors.get('d')!)).toEqual(expected.double.values);
    const bf16 = readStateDictFile(join(FIXTURES, 'bf16.safetensors'));
    expect(floats(bf16.tensors.get('b')!)).toEqual(expected.bfloat16.values);
    const n = new BigInt64Array(new Uint8Array(bf16.tensors.get('n')!.data).buffer);
    expect(Array.from(n, String)).toEqual(expected.long.values);
    expect(readCheckpointFile(join(FIXTURES, 'half.safetensors')).metadata).toEqual({});
  });

  it('returns our own metadata parsed, as readCheckpointFile does', () => {
    const spec: ModelSpec = { arch: 'small-resnet', numClasses: 3, inputShape: [8, 8, 1], mean: [0.5], std: [0.25] };
    const m = buildModel(spec, 4);
    const path = join(dir, 'ours.safetensors');
    saveCheckpoint(path, m, { spec, note: 'x' });
    m.dispose();
    const f = readStateDictFile(path);
    expect(f.metadata).toEqual(readCheckpointFile(path).metadata);
    expect(f.metadata.note).toBe('x');
  });

  it('loadCheckpoint takes F64 and BF16 weights (converted to float32) from a file with no metadata', () => {
    const spec: ModelSpec = { arch: 'small-resnet', numClasses: 4, inputShape: [8, 8, 1], mean: [0.5], std: [0.25] };
    const source = buildModel(spec, 1);
    const ours = join(dir, 'f32.safetensors');
    saveCheckpoint(ours, source, {});
    source.dispose();
    const tensors = new Map<string, SafeTensor>();
    const want = new Map<string, number[]>();
    let i = 0;
    for (const [name, t] of readCheckpointFile(ours).tensors) {
      if (t.dtype !== 'F32') {
        tensors.set(name, t);
        continue;
      }
      const v = floats(t);
      if (i++ % 2) {
        tensors.set(name, { dtype: 'F64', shape: t.shape, data: new Uint8Array(Float64Array.from(v).buffer) });
        want.set(name, v);
      } else {
        // bfloat16 by truncation: the expected value is the float32 with its low 16 bits cleared.
        const bits = new Uint32Array(Float32Array.from(v).buffer);
        const top = Uint16Array.from(bits, (b) => b >>> 16);
        tensors.set(name, { dtype: 'BF16', shape: t.shape, data: new Uint8Array(top.buffer) });
        want.set(name, Array.from(new Float32Array(Uint32Array.from(bits, (b) => b & 0xffff0000).buffer)));
      }
    }
    const theirs = join(dir, 'mixed.safetensors');
    writeFileSync(theirs, encodeSafetensors(tensors, {}));
    const target = buildModel(spec, 2);
    loadCheckpoint(theirs, target);
    // Linear weights are transposed on load; compare those through a fresh save (back in torch layout).
    const back = join(dir, 'back.safetensors');
    saveCheckpoint(back, target, {});
    target.dispose();
    const reread = readCheckpointFile(back).tensors;
    for (const [name, v] of want) expect(floats(reread.get(name)!), name).toEqual(v);
  });

  it('refuses an int64 beyond int32 instead of wrapping it', () => {
    const spec: ModelSpec = { arch: 'small-resnet', numClasses: 4, inputShape: [8, 8, 1], mean: [0.5], std: [0.25] };
    const m = buildModel(spec, 1);
    const path = join(dir, 'big-counter.safetensors');
    saveCheckpoint(path, m, {});
    const tensors = new Map(readCheckpointFile(path).tensors);
    const big = new Uint8Array(BigInt64Array.from([2n ** 40n]).buffer);
    tensors.set('bn1.num_batches_tracked', { dtype: 'I64', shape: [], data: big });
    writeFileSync(path, encodeSafetensors(tensors, {}));
    expect(() => loadCheckpoint(path, m)).toThrow(
      `${path}: tensor bn1.num_batches_tracked holds 1099511627776, beyond the int32 range`,
    );
    m.dispose();
  });
});
