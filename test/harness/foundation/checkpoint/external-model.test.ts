/**
 * External models end to end on files PyTorch wrote (test/fixtures/torch/, made by make_fixtures.py):
 * every fixture model loads into our zoo model, zip and legacy, MadryLab-nested and DataParallel-wrapped,
 * and gives PyTorch's eval-mode logits on the same inputs within 1e-4.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadExternalModel,
  type ExternalModelOptions,
} from '../../../../harness/foundation/checkpoint/external-model.ts';
import { readCheckpointFile, saveCheckpoint } from '../../../../harness/foundation/checkpoint/checkpoint.ts';
import { encodeSafetensors, type SafeTensor } from '../../../../harness/foundation/checkpoint/safetensors.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { StateDictError } from '../../../../harness/foundation/nn/module.ts';
import { useCpuBackend } from '../../../support/tf.ts';

const fixtures = fileURLToPath(new URL('../../../fixtures/torch/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-external-'));

interface Logits {
  inputs: Record<string, { shape: [number, number, number, number]; pixels: number[] }>;
  models: Record<string, { files: string[]; input: string; mean: number[]; std: number[]; logits: number[][] }>;
}
const expected = JSON.parse(readFileSync(join(fixtures, 'logits.json'), 'utf8')) as Logits;

beforeAll(useCpuBackend);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Our model's logits on a logits.json input (pixels / 255, NHWC as our models take). */
function logitsOn(model: { forward(x: tf.Tensor): tf.Tensor }, input: string): number[][] {
  const { shape, pixels } = expected.inputs[input];
  return tf.tidy(() => model.forward(tf.div(tf.tensor4d(pixels, shape, 'float32'), 255)).arraySync() as number[][]);
}

function maxDiff(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));
}

/** Each fixture: the options a user would give (normalisation only where the file has none). */
const cases: [string, string, ExternalModelOptions][] = [
  ['cifar_resnet18_w8', 'cifar_resnet18_w8.zip.pt', { arch: 'resnet18' }],
  ['cifar_resnet18_w8', 'cifar_resnet18_w8.legacy.pt', { arch: 'resnet18' }],
  ['cifar_resnet18_w8', 'dataparallel_resnet18_w8.zip.pt', { arch: 'resnet18' }],
  ['resnet50_w8', 'resnet50_w8.zip.pt', { arch: 'resnet50', inputShape: [64, 64, 3] }],
  ['resnet50_w8', 'resnet50_w8.legacy.pt', { arch: 'resnet50', inputShape: [64, 64, 3] }],
  ['madry_resnet18_w8', 'madry_resnet18_w8.legacy.pt', { arch: 'resnet18' }],
];

describe('loadExternalModel on PyTorch-made fixtures', () => {
  it('covers every fixture file that logits.json names', () => {
    const named = Object.values(expected.models)
      .flatMap((m) => m.files)
      .sort();
    expect(cases.map(([, file]) => file).sort()).toEqual(named);
  });

  for (const [name, file, opts] of cases) {
    it(`${file} reproduces PyTorch's logits within 1e-4`, () => {
      const ref = expected.models[name];
      const withNorm = name === 'madry_resnet18_w8' ? opts : { ...opts, mean: ref.mean, std: ref.std };
      const { model, spec, report, file: sd } = loadExternalModel(join(fixtures, file), withNorm);
      try {
        expect(spec.width).toBe(8); // inferred from conv1
        expect(spec.numClasses).toBe(10); // inferred from the head
        expect(sd.format).toBe(file.includes('.legacy.') ? 'torch-legacy' : 'torch-zip');
        if (name === 'madry_resnet18_w8') {
          // The normaliser came from module.normalizer.new_mean/new_std, not from the options.
          spec.mean.forEach((m, i) => expect(m).toBeCloseTo(ref.mean[i], 6));
          spec.std.forEach((s, i) => expect(s).toBeCloseTo(ref.std[i], 6));
          expect(report.dropped.map((d) => d.prefix)).toEqual(['attacker.normalize.', 'attacker.model.']);
        }
        if (file.startsWith('dataparallel')) expect(report.rewrites.map((r) => r.from)).toEqual(['module.']);
        expect(maxDiff(logitsOn(model, ref.input), ref.logits)).toBeLessThan(1e-4);
      } finally {
        model.dispose();
      }
    });
  }

  it('defaults: input 224x224 for resnet50, 32x32 otherwise; mean 0 and std 1 without a normaliser', () => {
    const r50 = loadExternalModel(join(fixtures, 'resnet50_w8.zip.pt'), { arch: 'resnet50' });
    expect(r50.spec.inputShape).toEqual([224, 224, 3]);
    expect([r50.spec.mean, r50.spec.std]).toEqual([
      [0, 0, 0],
      [1, 1, 1],
    ]);
    r50.model.dispose();
    const r18 = loadExternalModel(join(fixtures, 'cifar_resnet18_w8.zip.pt'), {
      arch: 'resnet18',
      numClasses: 10,
      width: 8,
    });
    expect(r18.spec.inputShape).toEqual([32, 32, 3]);
    r18.model.dispose();
  });

  it('adds no width to the spec when the file has the arch default width', () => {
    const native = buildModel(
      { arch: 'small-resnet', numClasses: 3, inputShape: [8, 8, 1], mean: [0.5], std: [0.25] },
      1,
    );
    const path = join(dir, 'small.safetensors');
    saveCheckpoint(path, native, {});
    const { model, spec } = loadExternalModel(path, { arch: 'small-resnet', inputShape: [8, 8, 1] });
    expect('width' in spec).toBe(false);
    expect(spec).toEqual({ arch: 'small-resnet', numClasses: 3, inputShape: [8, 8, 1], mean: [0], std: [1] });
    model.dispose();
    native.dispose();
  });

  it('fails with one error naming the file and every bad key, and disposes the half-built model', () => {
    // A real file with a missing, an extra and a mis-shaped key (a 5-class head for a 10-class model).
    const r18 = loadExternalModel(join(fixtures, 'cifar_resnet18_w8.zip.pt'), { arch: 'resnet18' });
    const good = join(dir, 'good.safetensors');
    saveCheckpoint(good, r18.model, {});
    r18.model.dispose();
    const tensors = new Map<string, SafeTensor>(readCheckpointFile(good).tensors);
    tensors.delete('layer3.1.bn2.running_mean');
    tensors.set('linear.weight', { dtype: 'F32', shape: [64, 10], data: new Uint8Array(640 * 4) });
    tensors.set('projection.weight', { dtype: 'F32', shape: [2], data: new Uint8Array(8) });
    const path = join(dir, 'broken.safetensors');
    writeFileSync(path, encodeSafetensors(tensors, {}));
    const before = tf.memory().numTensors;
    let error: unknown;
    try {
      loadExternalModel(path, { arch: 'resnet18', numClasses: 10 });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StateDictError);
    const message = (error as Error).message;
    expect(message.startsWith(`${path} (as resnet18 width 8, 10 classes, input 32x32x3): `)).toBe(true);
    expect(message).toContain('missing keys: layer3.1.bn2.running_mean');
    expect(message).toContain('unexpected keys: projection.weight');
    expect(message).toContain('linear.weight: expected shape [10, 64], got [64, 10]');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('names the option or file on bad input', () => {
    const pt = join(fixtures, 'cifar_resnet18_w8.zip.pt');
    expect(() => loadExternalModel(pt, { arch: 'resnet19' })).toThrow(/resnet19.*Did you mean.*resnet18/s);
    expect(() => loadExternalModel(pt, { arch: 'wrn-28-10', width: 8 })).toThrow(/--width: wrn-28-10 takes no width/);
    expect(() => loadExternalModel(pt, { arch: 'resnet18', mean: [0.5, 0.5] })).toThrow(
      `--mean: 2 values for a model with 3 input channels (${pt})`,
    );
    expect(() => loadExternalModel(pt, { arch: 'resnet18', numClasses: 5 })).toThrow(
      /linear\.weight: expected shape \[5, 64\], got \[10, 64\]/,
    );
    expect(() => loadExternalModel(join(dir, 'nope.pt'), { arch: 'resnet18' })).toThrow(join(dir, 'nope.pt'));
  });
});
