/**
 * Test helper: the state-dict keys and PyTorch shapes of the reference implementations, written out
 * from their definitions (kuangliu/pytorch-cifar ResNet, torchvision resnet50, RobustBench WideResNet
 * and PreActResNet), independently of our model code.
 */
export type TorchKeys = Map<string, number[]>;

function builder() {
  const keys: TorchKeys = new Map();
  return {
    keys,
    conv: (p: string, out: number, inp: number, k: number) => keys.set(`${p}.weight`, [out, inp, k, k]),
    bn: (p: string, c: number) => {
      for (const s of ['weight', 'bias', 'running_mean', 'running_var']) keys.set(`${p}.${s}`, [c]);
      keys.set(`${p}.num_batches_tracked`, []);
    },
    linear: (p: string, out: number, inp: number) => {
      keys.set(`${p}.weight`, [out, inp]);
      keys.set(`${p}.bias`, [out]);
    },
  };
}

/** kuangliu ResNet(BasicBlock, blocks): conv1, bn1, layerN.i.{conv1,bn1,conv2,bn2,shortcut.0,shortcut.1}, linear. */
export function kuangliuResNet(
  blocks: number[],
  numClasses: number,
  widths = [64, 128, 256, 512],
  inChannels = 3,
): TorchKeys {
  const { keys, conv, bn, linear } = builder();
  conv('conv1', widths[0], inChannels, 3);
  bn('bn1', widths[0]);
  let inPlanes = widths[0];
  widths.forEach((planes, li) => {
    for (let b = 0; b < blocks[li]; b++) {
      const stride = b === 0 && li > 0 ? 2 : 1;
      const p = `layer${li + 1}.${b}`;
      conv(`${p}.conv1`, planes, inPlanes, 3);
      bn(`${p}.bn1`, planes);
      conv(`${p}.conv2`, planes, planes, 3);
      bn(`${p}.bn2`, planes);
      if (stride !== 1 || inPlanes !== planes) {
        conv(`${p}.shortcut.0`, planes, inPlanes, 1);
        bn(`${p}.shortcut.1`, planes);
      }
      inPlanes = planes;
    }
  });
  linear('linear', numClasses, inPlanes);
  return keys;
}

/**
 * torchvision resnet50: bottlenecks (1x1, 3x3, 1x1 ×4) with downsample.0/.1 on each stage's first block;
 * `width` scales the stem (64) and the planes ([64, 128, 256, 512]) by width / 64.
 */
export function torchvisionResNet50(numClasses: number, width = 64): TorchKeys {
  const { keys, conv, bn, linear } = builder();
  conv('conv1', width, 3, 7);
  bn('bn1', width);
  let inPlanes = width;
  [width, 2 * width, 4 * width, 8 * width].forEach((planes, li) => {
    for (let b = 0; b < [3, 4, 6, 3][li]; b++) {
      const p = `layer${li + 1}.${b}`;
      conv(`${p}.conv1`, planes, inPlanes, 1);
      bn(`${p}.bn1`, planes);
      conv(`${p}.conv2`, planes, planes, 3);
      bn(`${p}.bn2`, planes);
      conv(`${p}.conv3`, planes * 4, planes, 1);
      bn(`${p}.bn3`, planes * 4);
      if (b === 0) {
        conv(`${p}.downsample.0`, planes * 4, inPlanes, 1);
        bn(`${p}.downsample.1`, planes * 4);
      }
      inPlanes = planes * 4;
    }
  });
  linear('fc', numClasses, 32 * width);
  return keys;
}

/** RobustBench WideResNet(depth, widen_factor), sub_block1 = False, bias_last = True. */
export function robustbenchWideResNet(depth: number, widen: number, numClasses: number): TorchKeys {
  const { keys, conv, bn, linear } = builder();
  const n = (depth - 4) / 6;
  const ch = [16, 16 * widen, 32 * widen, 64 * widen];
  conv('conv1', 16, 3, 3);
  for (let g = 1; g <= 3; g++) {
    for (let i = 0; i < n; i++) {
      const inP = i === 0 ? ch[g - 1] : ch[g];
      const p = `block${g}.layer.${i}`;
      bn(`${p}.bn1`, inP);
      conv(`${p}.conv1`, ch[g], inP, 3);
      bn(`${p}.bn2`, ch[g]);
      conv(`${p}.conv2`, ch[g], ch[g], 3);
      if (inP !== ch[g]) conv(`${p}.convShortcut`, ch[g], inP, 1);
    }
  }
  bn('bn1', ch[3]);
  linear('fc', numClasses, ch[3]);
  return keys;
}

/** PreActResNet18 (PreActBlock with shortcut.0 only), with or without the final `bn`. */
export function preActResNet18(numClasses: number, bnBeforeFc: boolean): TorchKeys {
  const { keys, conv, bn, linear } = builder();
  conv('conv1', 64, 3, 3);
  let inPlanes = 64;
  [64, 128, 256, 512].forEach((planes, li) => {
    for (let b = 0; b < 2; b++) {
      const p = `layer${li + 1}.${b}`;
      bn(`${p}.bn1`, inPlanes);
      conv(`${p}.conv1`, planes, inPlanes, 3);
      bn(`${p}.bn2`, planes);
      conv(`${p}.conv2`, planes, planes, 3);
      if (inPlanes !== planes) conv(`${p}.shortcut.0`, planes, inPlanes, 1);
      inPlanes = planes;
    }
  });
  if (bnBeforeFc) bn('bn', 512);
  linear('linear', numClasses, 512);
  return keys;
}

/** Trainable scalars of a key set: everything but the BN running statistics. */
export function parameterCount(keys: TorchKeys): number {
  let n = 0;
  for (const [name, shape] of keys) if (!/running_|num_batches/.test(name)) n += shape.reduce((a, b) => a * b, 1);
  return n;
}
