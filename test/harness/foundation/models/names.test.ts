import { beforeAll, describe, expect, it } from 'vitest';
import type { Classifier, ModelSpec } from '../../../../harness/foundation/models/classifier.ts';
import { preactResnet18 } from '../../../../harness/foundation/models/preact-resnet.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { torchLayoutOf, torchShape } from '../../../../harness/foundation/nn/layout.ts';
import { useCpuBackend } from '../../../support/tf.ts';
import {
  kuangliuResNet,
  parameterCount,
  preActResNet18,
  robustbenchWideResNet,
  torchvisionResNet50,
  type TorchKeys,
} from './reference-keys.ts';

beforeAll(useCpuBackend);

const cifar = (arch: string, numClasses = 10): ModelSpec => ({
  arch,
  numClasses,
  inputShape: [32, 32, 3],
  mean: [0.49, 0.48, 0.45],
  std: [0.25, 0.24, 0.26],
});
const imagenet: ModelSpec = {
  arch: 'resnet50',
  numClasses: 1000,
  inputShape: [224, 224, 3],
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

interface Summary {
  torchKeys: TorchKeys;
  dtypes: Map<string, string>;
  numParameters: number;
  blocks: string[][];
  paramNames: string[];
  headName: string;
}

/** Builds, reads everything a checkpoint sees (names, PyTorch-side shapes, dtypes), disposes. */
function summarise(make: () => Classifier): Summary {
  const m = make();
  try {
    const layout = torchLayoutOf(m);
    const all = [...m.namedParameters(), ...m.namedBuffers()];
    return {
      torchKeys: new Map(all.map(([n, v]) => [n, torchShape(v.shape, layout(n, v.shape))])),
      dtypes: new Map(all.map(([n, v]) => [n, v.dtype])),
      numParameters: m.numParameters(),
      blocks: m.blocks().map((b) => [...b]),
      paramNames: m.namedParameters().map(([n]) => n),
      headName: m.headName,
    };
  } finally {
    m.dispose();
  }
}

const sorted = (keys: TorchKeys) => [...keys].sort(([a], [b]) => (a < b ? -1 : 1));

/** Every parameter sits in exactly one block; blocks follow forward (registration) order; the head is last. */
function expectBlockSplit(s: Summary, expectedBlocks: number): void {
  expect(s.blocks).toHaveLength(expectedBlocks);
  const owner = (name: string) =>
    s.blocks.flatMap((prefixes, i) => (prefixes.some((p) => name.startsWith(`${p}.`)) ? [i] : []));
  let last = 0;
  for (const name of s.paramNames) {
    const owners = owner(name);
    expect(owners, name).toHaveLength(1);
    expect(owners[0], `${name} comes after block ${last}`).toBeGreaterThanOrEqual(last);
    last = owners[0];
  }
  expect(s.blocks.at(-1)).toEqual([s.headName]);
  for (const [i, prefixes] of s.blocks.entries())
    expect(
      s.paramNames.some((n) => prefixes.some((p) => n.startsWith(`${p}.`))),
      `block ${i} owns parameters`,
    ).toBe(true);
}

describe('reference architectures: every state-dict key, its PyTorch shape, and the parameter count', () => {
  it('kuangliu ResNet-18 (CIFAR-10): 122 keys, 11,173,962 parameters, 10 blocks', () => {
    const s = summarise(() => buildModel(cifar('resnet18'), 0));
    const ref = kuangliuResNet([2, 2, 2, 2], 10);
    expect(ref.size).toBe(122);
    expect(sorted(s.torchKeys)).toEqual(sorted(ref));
    expect(s.numParameters).toBe(11_173_962);
    expect(parameterCount(ref)).toBe(11_173_962);
    expect(s.torchKeys.get('conv1.weight')).toEqual([64, 3, 3, 3]);
    expect(s.torchKeys.get('linear.weight')).toEqual([10, 512]);
    expect(s.dtypes.get('layer4.1.bn2.num_batches_tracked')).toBe('int32');
    expectBlockSplit(s, 10);
  });

  it('kuangliu ResNet-34 (CIFAR-10): 21,282,122 parameters, layer3.5.conv2 exists (RiFT)', () => {
    const s = summarise(() => buildModel(cifar('resnet34'), 0));
    expect(sorted(s.torchKeys)).toEqual(sorted(kuangliuResNet([3, 4, 6, 3], 10)));
    expect(s.numParameters).toBe(21_282_122);
    expect(s.torchKeys.has('layer2.3.conv2.weight') && s.torchKeys.has('layer3.5.conv2.weight')).toBe(true);
    expectBlockSplit(s, 18);
  });

  it('torchvision ResNet-50 (1000 classes): 320 keys, 25,557,032 parameters', () => {
    const s = summarise(() => buildModel(imagenet, 0));
    const ref = torchvisionResNet50(1000);
    expect(ref.size).toBe(320);
    expect(sorted(s.torchKeys)).toEqual(sorted(ref));
    expect(s.numParameters).toBe(25_557_032);
    expect(s.torchKeys.get('conv1.weight')).toEqual([64, 3, 7, 7]);
    expect(s.torchKeys.get('layer1.0.downsample.0.weight')).toEqual([256, 64, 1, 1]);
    expect(s.torchKeys.get('fc.weight')).toEqual([1000, 2048]);
    expectBlockSplit(s, 18);
  });

  it('RobustBench WRN-34-10 (CIFAR-10): 191 keys, 46,160,474 parameters, CARTL split of 17 blocks', () => {
    const s = summarise(() => buildModel(cifar('wrn-34-10'), 0));
    const ref = robustbenchWideResNet(34, 10, 10);
    expect(ref.size).toBe(191);
    expect(sorted(s.torchKeys)).toEqual(sorted(ref));
    expect(s.numParameters).toBe(46_160_474);
    expect(s.torchKeys.get('block1.layer.0.convShortcut.weight')).toEqual([160, 16, 1, 1]);
    expect(s.torchKeys.has('block1.layer.1.convShortcut.weight')).toBe(false);
    expect(s.torchKeys.has('block1.layer.4.conv2.weight') && !s.torchKeys.has('block1.layer.5.conv2.weight')).toBe(
      true,
    ); // (34 − 4)/6 = 5 units
    expectBlockSplit(s, 17);
    expect(s.blocks[0]).toEqual(['conv1', 'block1.layer.0']);
    expect(s.blocks[15]).toEqual(['bn1']);
  });

  it('WRN-28-10: 36,479,194 parameters', () => {
    const s = summarise(() => buildModel(cifar('wrn-28-10'), 0));
    expect(sorted(s.torchKeys)).toEqual(sorted(robustbenchWideResNet(28, 10, 10)));
    expect(s.numParameters).toBe(36_479_194);
    expectBlockSplit(s, 14);
  });

  it('PreAct ResNet-18 (CIFAR-10): with the final bn 11,172,170 parameters; without it 11,171,146', () => {
    const s = summarise(() => buildModel(cifar('preact-resnet18'), 0));
    expect(sorted(s.torchKeys)).toEqual(sorted(preActResNet18(10, true)));
    expect(s.numParameters).toBe(11_172_170);
    expectBlockSplit(s, 10);
    const noBn = summarise(() => preactResnet18(cifar('preact-resnet18'), 0, { bnBeforeFc: false }));
    expect(sorted(noBn.torchKeys)).toEqual(sorted(preActResNet18(10, false)));
    expect(noBn.numParameters).toBe(11_171_146);
    expectBlockSplit(noBn, 9);
  });

  it('width scales every stage with the stem: ResNet-18 [8, 16, 32, 64], ResNet-50 stem 8 (the torch fixtures)', () => {
    const r18 = summarise(() => buildModel({ ...cifar('resnet18'), width: 8 }, 0));
    expect(sorted(r18.torchKeys)).toEqual(sorted(kuangliuResNet([2, 2, 2, 2], 10, [8, 16, 32, 64])));
    expectBlockSplit(r18, 10);
    const r50 = summarise(() => buildModel({ ...imagenet, numClasses: 10, width: 8 }, 0));
    expect(sorted(r50.torchKeys)).toEqual(sorted(torchvisionResNet50(10, 8)));
    expect(r50.torchKeys.get('fc.weight')).toEqual([10, 256]);
    const small = summarise(() => buildModel({ ...cifar('small-resnet'), width: 4 }, 0));
    expect(sorted(small.torchKeys)).toEqual(sorted(kuangliuResNet([1, 1, 1], 10, [4, 8, 16])));
    // The default width builds exactly what a spec without the key builds.
    expect(sorted(summarise(() => buildModel({ ...cifar('resnet18'), width: 64 }, 0)).torchKeys)).toEqual(
      sorted(kuangliuResNet([2, 2, 2, 2], 10)),
    );
    expect(() => buildModel({ ...cifar('wrn-28-10'), width: 8 }, 0)).toThrow(/wrn-28-10: takes no width/);
    expect(() => buildModel({ ...cifar('resnet18'), width: 0 }, 0)).toThrow(
      /resnet18: width must be a positive integer/,
    );
    expect(() => buildModel({ ...cifar('resnet18'), width: 2.5 }, 0)).toThrow(/width must be a positive integer/);
  });

  it('small-resnet: kuangliu naming with 16/32/64 widths, 77,754 parameters on 1-channel input', () => {
    const spec: ModelSpec = {
      arch: 'small-resnet',
      numClasses: 10,
      inputShape: [28, 28, 1],
      mean: [0.286],
      std: [0.353],
    };
    const s = summarise(() => buildModel(spec, 0));
    expect(sorted(s.torchKeys)).toEqual(sorted(kuangliuResNet([1, 1, 1], 10, [16, 32, 64], 1)));
    expect(s.numParameters).toBe(77_754);
    expectBlockSplit(s, 5);
  });
});
