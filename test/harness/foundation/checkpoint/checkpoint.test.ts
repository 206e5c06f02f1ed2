import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadCheckpoint,
  readCheckpointFile,
  saveCheckpoint,
} from '../../../../harness/foundation/checkpoint/checkpoint.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import type { ModelSpec } from '../../../../harness/foundation/models/classifier.ts';
import { useCpuBackend } from '../../../support/tf.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-ckpt-'));
beforeAll(useCpuBackend);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec: ModelSpec = { arch: 'small-resnet', numClasses: 4, inputShape: [8, 8, 1], mean: [0.5], std: [0.25] };

function values(m: ReturnType<typeof buildModel>): Record<string, number[]> {
  return Object.fromEntries(
    [...m.namedParameters(), ...m.namedBuffers()].map(([n, v]) => [n, Array.from(v.dataSync())]),
  );
}

describe('safetensors checkpoints', () => {
  it('round-trips a model bit for bit, in PyTorch layout on disk, with metadata', () => {
    const a = buildModel(spec, 1);
    tf.tidy(() => a.train().forward(tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 2))); // move BN running stats off their init
    const path = join(dir, 'a.safetensors');
    const sha = saveCheckpoint(path, a, { arch: spec.arch, note: 'hello' });
    expect(sha).toMatch(/^[0-9a-f]{64}$/);
    const file = readCheckpointFile(path);
    expect(file.sha256).toBe(sha);
    expect(file.metadata).toEqual({ arch: 'small-resnet', note: 'hello' });
    // Conv weights are OIHW on disk; linear weights [out, in]; counters int64.
    expect(file.tensors.get('conv1.weight')?.shape).toEqual([16, 1, 3, 3]);
    expect(file.tensors.get('linear.weight')?.shape).toEqual([4, 64]);
    expect(file.tensors.get('bn1.num_batches_tracked')?.dtype).toBe('I64');
    // Element [o=2, i=0, h=1, w=2] on disk equals HWIO [1, 2, 0, 2] in memory.
    const disk = file.tensors.get('conv1.weight')!;
    const onDisk = new Float32Array(new Uint8Array(disk.data).buffer)[((2 * 1 + 0) * 3 + 1) * 3 + 2];
    const inMemory = a
      .namedParameters()
      .find(([n]) => n === 'conv1.weight')![1]
      .dataSync()[((1 * 3 + 2) * 1 + 0) * 16 + 2];
    expect(onDisk).toBe(inMemory);

    const b = buildModel(spec, 99);
    loadCheckpoint(path, b);
    expect(values(b)).toEqual(values(a));
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    a.dispose();
    b.dispose();
  });

  it('fails clearly on a truncated file, naming the file', () => {
    const m = buildModel(spec, 1);
    const path = join(dir, 'trunc.safetensors');
    saveCheckpoint(path, m, {});
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 100));
    expect(() => loadCheckpoint(path, m)).toThrow(new RegExp(`${path}: truncated safetensors file`));
    writeFileSync(path, bytes.subarray(0, 5));
    expect(() => loadCheckpoint(path, m)).toThrow(/truncated/);
    m.dispose();
  });

  it('lists missing, unexpected and mis-shaped keys before writing anything', () => {
    const src = buildModel({ ...spec, numClasses: 7 }, 1);
    const path = join(dir, 'other.safetensors');
    saveCheckpoint(path, src, {});
    const dst = buildModel(spec, 2);
    const before = values(dst);
    let message = '';
    try {
      loadCheckpoint(path, dst);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain(path);
    expect(message).toContain('linear.weight: expected shape [4, 64], got [7, 64]');
    expect(message).toContain('linear.bias: expected shape [4], got [7]');
    expect(values(dst)).toEqual(before);
    src.dispose();
    dst.dispose();
    expect(existsSync(path)).toBe(true);
  });
});
