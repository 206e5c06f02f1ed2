/**
 * Key mapping on state dicts made here: a real width-8 ResNet-18 saved in PyTorch layout, then wrapped as
 * nn.DataParallel and MadryLab's AttackerModel do, renamed, broken. The mapped tensors must load into a
 * fresh model and give the original model's logits.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpointFile, saveCheckpoint } from '../../../../harness/foundation/checkpoint/checkpoint.ts';
import {
  describeMapping,
  loadMappedStateDict,
  mapStateDictKeys,
  parseKeyMapRule,
} from '../../../../harness/foundation/checkpoint/key-map.ts';
import type { SafeTensor } from '../../../../harness/foundation/checkpoint/safetensors.ts';
import type { Classifier, ModelSpec } from '../../../../harness/foundation/models/classifier.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { StateDictError } from '../../../../harness/foundation/nn/module.ts';
import { useCpuBackend } from '../../../support/tf.ts';

const dir = mkdtempSync(join(tmpdir(), 'rftbench-keymap-'));
const FILE = '/models/robust.pt';
const spec: ModelSpec = {
  arch: 'resnet18',
  numClasses: 10,
  inputShape: [16, 16, 3],
  mean: [0, 0, 0],
  std: [1, 1, 1],
  width: 8,
};
let original: Classifier;
let tensors: Map<string, SafeTensor>;
let input: tf.Tensor4D;

beforeAll(async () => {
  await useCpuBackend();
  original = buildModel(spec, 7);
  // Running statistics off their init, so a buffer that failed to load would change the logits.
  tf.tidy(() => original.train().forward(tf.randomUniform([4, 16, 16, 3], 0, 1, 'float32', 3)));
  original.eval();
  const path = join(dir, 'r18.safetensors');
  saveCheckpoint(path, original, {});
  tensors = readCheckpointFile(path).tensors;
  input = tf.randomUniform([3, 16, 16, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
});

afterAll(() => {
  original.dispose();
  input.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const f32 = (values: number[], shape: number[]): SafeTensor => ({
  dtype: 'F32',
  shape,
  data: new Uint8Array(Float32Array.from(values).buffer),
});
const prefixed = (prefix: string, from = tensors) => new Map([...from].map(([k, t]) => [prefix + k, t]));
const MEAN = [0.4914, 0.4822, 0.4465];
const STD = [0.2023, 0.1994, 0.201];

/** A MadryLab robustness checkpoint's `model` entry: module.{normalizer, model, attacker.{normalize, model}}. */
function madry(attacker = tensors): Map<string, SafeTensor> {
  return new Map([
    ['module.normalizer.new_mean', f32(MEAN, [3, 1, 1])],
    ['module.normalizer.new_std', f32(STD, [3, 1, 1])],
    ...prefixed('module.model.'),
    ['module.attacker.normalize.new_mean', f32(MEAN, [3, 1, 1])],
    ['module.attacker.normalize.new_std', f32(STD, [3, 1, 1])],
    ...prefixed('module.attacker.model.', attacker),
  ]);
}

/** Loads into a fresh model (other seed) and returns the max |logit difference| from the original. */
function loadAndCompare(mapped: ReturnType<typeof mapStateDictKeys>): number {
  const fresh = buildModel(spec, 99).eval();
  try {
    loadMappedStateDict(fresh, mapped, FILE);
    return tf.tidy(() => tf.max(tf.abs(tf.sub(fresh.forward(input), original.forward(input)))).dataSync()[0]);
  } finally {
    fresh.dispose();
  }
}

describe('mapStateDictKeys', () => {
  it('leaves matching keys alone and the model loads to the same logits', () => {
    const mapped = mapStateDictKeys(tensors, FILE);
    expect([...mapped.tensors.keys()]).toEqual([...tensors.keys()]);
    expect(mapped.report.rewrites).toEqual([]);
    expect(describeMapping(mapped.report)).toEqual(['keys already match the model: nothing renamed or dropped']);
    expect(loadAndCompare(mapped)).toBe(0);
  });

  it("strips nn.DataParallel's module. prefix", () => {
    const mapped = mapStateDictKeys(prefixed('module.'), FILE);
    expect(mapped.report.rewrites).toEqual([{ from: 'module.', to: '', keys: tensors.size, rule: 'wrapper' }]);
    expect(loadAndCompare(mapped)).toBe(0);
  });

  it("unwraps MadryLab's AttackerModel: normaliser to mean/std, attacker copy dropped", () => {
    const mapped = mapStateDictKeys(madry(), FILE);
    expect([...mapped.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    const { normalizer, rewrites, dropped } = mapped.report;
    expect(normalizer!.keys).toEqual(['normalizer.new_mean', 'normalizer.new_std']);
    normalizer!.mean.forEach((m, i) => expect(m).toBeCloseTo(MEAN[i], 7));
    normalizer!.std.forEach((s, i) => expect(s).toBeCloseTo(STD[i], 7));
    expect(rewrites.map((r) => r.from)).toEqual(['module.', 'model.']);
    expect(dropped).toEqual([
      { prefix: 'attacker.normalize.', keys: 2, reason: 'a copy of normalizer.new_mean / normalizer.new_std' },
      { prefix: 'attacker.model.', keys: tensors.size, reason: "MadryLab's attacker copy, equal to model.*" },
    ]);
    expect(describeMapping(mapped.report).join('\n')).toMatch(
      /input normalisation from normalizer\.new_mean \/ normalizer\.new_std: mean \[0\.4914/,
    );
    expect(loadAndCompare(mapped)).toBe(0);
  });

  it('drops an attacker copy with the same keys but other values, saying so, and loads the main copy', () => {
    const changed = new Map(tensors);
    changed.set('linear.bias', f32(Array(10).fill(3), [10]));
    const mapped = mapStateDictKeys(madry(changed), FILE);
    expect(mapped.report.dropped[1].reason).toMatch(/same keys as model\.\* but 1 tensors differ; model\.\* is loaded/);
    expect(loadAndCompare(mapped)).toBe(0);
  });

  it('refuses an attacker copy with other keys, and an attacker normaliser that disagrees', () => {
    const fewer = new Map(tensors);
    fewer.delete('linear.bias');
    expect(() => mapStateDictKeys(madry(fewer), FILE)).toThrow(`${FILE}: attacker.model.* is not a copy of model.*`);
    const other = madry();
    other.set('module.attacker.normalize.new_std', f32([1, 1, 1], [3, 1, 1]));
    expect(() => mapStateDictKeys(other, FILE)).toThrow(
      /attacker\.normalize\.new_mean \/ attacker\.normalize\.new_std differ from normalizer/,
    );
  });

  it('takes normalize.mean/std as the normaliser too', () => {
    const file = new Map([...prefixed('model.'), ['normalize.mean', f32(MEAN, [3])], ['normalize.std', f32(STD, [3])]]);
    const mapped = mapStateDictKeys(file, FILE);
    expect(mapped.report.normalizer?.keys).toEqual(['normalize.mean', 'normalize.std']);
    expect(loadAndCompare(mapped)).toBe(0);
  });

  it('applies --map prefix rules in order after the built-in ones, and names a rule that matches nothing', () => {
    // A torchvision-style head name and a `net.` wrapper the built-in rules do not know.
    const renamed = new Map([...tensors].map(([k, t]) => [`net.${k.replace(/^linear\./, 'fc.')}`, t]));
    const wrapped = prefixed('module.', renamed);
    expect(() => loadAndCompare(mapStateDictKeys(wrapped, FILE))).toThrow(StateDictError);
    const mapped = mapStateDictKeys(wrapped, FILE, { 'net.': '', 'fc.': 'linear.' });
    expect(mapped.report.rewrites).toEqual([
      { from: 'module.', to: '', keys: tensors.size, rule: 'wrapper' },
      { from: 'net.', to: '', keys: tensors.size, rule: 'user' },
      { from: 'fc.', to: 'linear.', keys: 2, rule: 'user' },
    ]);
    expect(loadAndCompare(mapped)).toBe(0);
    expect(() => mapStateDictKeys(wrapped, FILE, { 'head.': 'linear.' })).toThrow(
      `${FILE}: key map rule 'head.=linear.' (--map) matches no key`,
    );
    expect(() => mapStateDictKeys(tensors, FILE, { 'layer1.0.': 'layer1.1.' })).toThrow(
      /maps both 'layer1\.0\.\S+' and 'layer1\.1\.\S+' to/,
    );
  });

  it('drops the prefixes it is told to (a module registered but never run), and names one that matches nothing', () => {
    // RobustBench's sub_block1: a copy of block1 the network registers but never runs.
    const extra = [...tensors]
      .filter(([k]) => k.startsWith('layer1.'))
      .map(([k, t]) => [`sub_block1.${k}`, t] as const);
    const file = new Map([...tensors, ...extra]);
    expect(() => loadAndCompare(mapStateDictKeys(file, FILE))).toThrow(/sub_block1\./);
    const mapped = mapStateDictKeys(file, FILE, {}, ['sub_block1.']);
    expect(mapped.report.dropped).toContainEqual({
      prefix: 'sub_block1.',
      keys: extra.length,
      reason: expect.stringMatching(/--drop/),
    });
    expect(loadAndCompare(mapped)).toBe(0);
    expect(() => mapStateDictKeys(tensors, FILE, {}, ['sub_block1.'])).toThrow(
      `${FILE}: --drop 'sub_block1.' matches no key`,
    );
  });

  it('parses FROM=TO rules, TO may be empty', () => {
    expect(parseKeyMapRule('module.backbone.=')).toEqual(['module.backbone.', '']);
    expect(parseKeyMapRule('fc.=linear.')).toEqual(['fc.', 'linear.']);
    expect(() => parseKeyMapRule('fc.')).toThrow(/must look like FROM=TO/);
    expect(() => parseKeyMapRule('=x')).toThrow(/must look like FROM=TO/);
  });
});

describe('loadMappedStateDict', () => {
  it('lists a missing, an unexpected and a mis-shaped key in one error naming the file, and writes nothing', () => {
    const broken = new Map(tensors);
    broken.delete('layer2.0.bn1.running_var');
    broken.set('layer9.0.conv1.weight', f32([1], [1]));
    broken.set('linear.weight', f32(Array(5 * 64).fill(0), [5, 64]));
    const fresh = buildModel(spec, 99);
    const before = fresh
      .namedParameters()
      .find(([n]) => n === 'conv1.weight')![1]
      .dataSync()
      .slice();
    try {
      let error: unknown;
      try {
        loadMappedStateDict(fresh, mapStateDictKeys(broken, FILE), FILE);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(StateDictError);
      const { report, message } = error as StateDictError;
      expect(report.missing).toEqual(['layer2.0.bn1.running_var']);
      expect(report.unexpected).toEqual(['layer9.0.conv1.weight']);
      expect(report.misshaped).toEqual([{ key: 'linear.weight', expected: [10, 64], got: [5, 64] }]);
      expect(message).toBe(
        `${FILE}: missing keys: layer2.0.bn1.running_var; unexpected keys: layer9.0.conv1.weight; ` +
          'linear.weight: expected shape [10, 64], got [5, 64]',
      );
      expect(
        fresh
          .namedParameters()
          .find(([n]) => n === 'conv1.weight')![1]
          .dataSync(),
      ).toEqual(before);
    } finally {
      fresh.dispose();
    }
  });

  it('sets num_batches_tracked to 0 when a file from before PyTorch 0.4.1 lacks it', () => {
    const old = new Map([...tensors].filter(([k]) => !k.endsWith('num_batches_tracked')));
    const mapped = mapStateDictKeys(old, FILE);
    expect(loadAndCompare(mapped)).toBe(0);
    expect(mapped.report.filled).toHaveLength(
      [...tensors.keys()].filter((k) => k.endsWith('num_batches_tracked')).length,
    );
    expect(describeMapping(mapped.report).join('\n')).toMatch(
      /set to 0 \(absent from the file\): 20 num_batches_tracked buffers/,
    );
  });
});
