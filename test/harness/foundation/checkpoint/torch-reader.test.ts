import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { SafeTensor } from '../../../../harness/foundation/checkpoint/safetensors.ts';
import { readStateDictFile } from '../../../../harness/foundation/checkpoint/state-dict-file.ts';
import { Placeholder, readTorchFile, TorchTensor } from '../../../../harness/foundation/checkpoint/torch/read-torch.ts';
import { readZip } from '../../../../harness/foundation/checkpoint/torch/zip.ts';
import { concat, legacyFile, P, pickle, tensorPickle, toZip64 } from './torch-bytes.ts';

const FIXTURES = fileURLToPath(new URL('../../../fixtures/torch/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);
const dir = mkdtempSync(join(tmpdir(), 'rftbench-torch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The payload path the committed malicious fixtures would `touch` if anything ran them. */
const FIXTURE_PAYLOAD = '/tmp/rftbench-torch-fixture-pwned';

function floats(t: SafeTensor): number[] {
  expect(t.dtype).toBe('F32');
  return Array.from(new Float32Array(new Uint8Array(t.data).buffer));
}

/** Same dtype, shape and bytes (a byte comparison: deep equality of big arrays is slow). */
function expectSame(a: SafeTensor | undefined, b: SafeTensor | undefined, what: string): void {
  expect(a && b, what).toBeTruthy();
  expect([a!.dtype, a!.shape], what).toEqual([b!.dtype, b!.shape]);
  expect(Buffer.from(a!.data).equals(Buffer.from(b!.data)), what).toBe(true);
}

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

describe('PyTorch checkpoints made by torch 1.13', () => {
  it('reads the CIFAR ResNet-18 state dict with kuangliu names, shapes and dtypes', () => {
    const f = readStateDictFile(fixture('cifar_resnet18_w8.zip.pt'));
    expect(f.format).toBe('torch-zip');
    expect(f.container).toBe('(root)');
    expect(f.placeholders).toEqual([]);
    expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(f.tensors.size).toBe(122);
    expect(f.tensors.get('conv1.weight')!.shape).toEqual([8, 3, 3, 3]);
    expect(f.tensors.get('layer2.0.shortcut.0.weight')!.shape).toEqual([16, 8, 1, 1]);
    expect(f.tensors.get('layer4.1.bn2.running_var')!.shape).toEqual([64]);
    expect(f.tensors.get('linear.weight')!.shape).toEqual([10, 64]);
    expect(f.tensors.has('layer1.0.shortcut.0.weight')).toBe(false); // identity shortcut: no keys
    // Three train-mode passes: the counter is int64 3 and the running stats moved off 0/1.
    const counter = f.tensors.get('bn1.num_batches_tracked')!;
    expect(counter.dtype).toBe('I64');
    expect(Array.from(new BigInt64Array(new Uint8Array(counter.data).buffer))).toEqual([3n]);
    expect(floats(f.tensors.get('bn1.running_mean')!).some((x) => x !== 0)).toBe(true);
  });

  it('gives identical tensors from the zip and the legacy format', () => {
    for (const model of ['cifar_resnet18_w8', 'resnet50_w8']) {
      const zip = readStateDictFile(fixture(`${model}.zip.pt`));
      const legacy = readStateDictFile(fixture(`${model}.legacy.pt`));
      expect(legacy.format).toBe('torch-legacy');
      expect([...legacy.tensors.keys()]).toEqual([...zip.tensors.keys()]);
      for (const [name, t] of zip.tensors) expectSame(legacy.tensors.get(name), t, `${model} ${name}`);
    }
  });

  it('reads the ResNet-50 with torchvision names', () => {
    const f = readStateDictFile(fixture('resnet50_w8.legacy.pt'));
    expect(f.tensors.get('conv1.weight')!.shape).toEqual([8, 3, 7, 7]);
    expect(f.tensors.get('layer1.0.downsample.0.weight')!.shape).toEqual([32, 8, 1, 1]);
    expect(f.tensors.get('layer4.0.conv2.weight')!.shape).toEqual([64, 64, 3, 3]);
    expect(f.tensors.get('layer4.2.conv3.weight')!.shape).toEqual([256, 64, 1, 1]);
    expect(f.tensors.get('fc.weight')!.shape).toEqual([10, 256]);
    expect(f.tensors.has('layer3.5.bn3.running_mean')).toBe(true);
    expect(f.tensors.has('layer3.6.bn3.running_mean')).toBe(false);
  });

  it('unwraps {state_dict, epoch} and keeps the module. keys for the key mapper', () => {
    const plain = readStateDictFile(fixture('cifar_resnet18_w8.zip.pt'));
    const dp = readStateDictFile(fixture('dataparallel_resnet18_w8.zip.pt'));
    expect(dp.container).toBe("['state_dict']");
    expect(dp.extras).toEqual({ epoch: 3 });
    expect([...dp.tensors.keys()]).toEqual([...plain.tensors.keys()].map((k) => `module.${k}`));
    for (const [name, t] of plain.tensors) expectSame(dp.tensors.get(`module.${name}`), t, name);
  });

  it('reads a MadryLab-style legacy checkpoint: nested model, numpy scalars, shared storages', () => {
    const f = readStateDictFile(fixture('madry_resnet18_w8.legacy.pt'));
    expect(f.format).toBe('torch-legacy');
    expect(f.container).toBe("['model']");
    expect(f.extras).toEqual({ schedule: null, epoch: 90, prec1: 0.4375 });
    expect(f.placeholders).toEqual([]);
    const mean = f.tensors.get('module.normalizer.new_mean')!;
    expect(mean.shape).toEqual([3, 1, 1]);
    expect(floats(mean)).toEqual([0.4914, 0.4822, 0.4465].map(Math.fround));
    expect(floats(f.tensors.get('module.attacker.normalize.new_std')!)).toEqual(
      [0.2023, 0.1994, 0.201].map(Math.fround),
    );
    const model = [...f.tensors.keys()].filter((k) => k.startsWith('module.model.'));
    expect(model).toHaveLength(122);
    for (const k of model) {
      expectSame(f.tensors.get(k.replace('module.model.', 'module.attacker.model.')), f.tensors.get(k), k);
    }
    // The optimizer stays in the tree: int keys, tensors as TorchTensor, plain values.
    const root = readTorchFile(fixture('madry_resnet18_w8.legacy.pt')).root as Map<string, unknown>;
    const optimizer = root.get('optimizer') as Map<string, unknown>;
    const state = optimizer.get('state') as Map<number, Map<string, unknown>>;
    expect(state.get(0)!.get('momentum_buffer')).toBeInstanceOf(TorchTensor);
    expect((state.get(0)!.get('momentum_buffer') as TorchTensor).shape).toEqual([10, 64]);
    expect((optimizer.get('param_groups') as Map<string, unknown>[])[0].get('lr')).toBe(0.1);
  });

  it('materialises F16/BF16/F64/int64 tensors and views of one storage exactly as PyTorch does', () => {
    const expected = JSON.parse(readFileSync(fixture('dtypes_and_views.json'), 'utf8')).tensors as Record<
      string,
      { shape: number[]; dtype: string; values: (number | string)[] }
    >;
    const f = readStateDictFile(fixture('dtypes_and_views.zip.pt'));
    expect([...f.tensors.keys()]).toEqual(Object.keys(expected));
    for (const [name, want] of Object.entries(expected)) {
      const t = f.tensors.get(name)!;
      expect(t.shape, name).toEqual(want.shape);
      expect(t.dtype, name).toBe(want.dtype);
      const got = t.dtype === 'I64' ? Array.from(new BigInt64Array(new Uint8Array(t.data).buffer), String) : floats(t);
      expect(got, name).toEqual(want.values);
    }
    // The views really share one storage in the file (offset and strides, not copies).
    const root = readTorchFile(fixture('dtypes_and_views.zip.pt')).root as Map<string, TorchTensor>;
    const [base, rows, transposed, column] = ['base', 'rows', 'transposed', 'column'].map((k) => root.get(k)!);
    expect(new Set([base, rows, transposed, column].map((t) => t.storage)).size).toBe(1);
    expect([rows.offset, transposed.stride, column.offset, column.stride]).toEqual([6, [1, 6], 2, [6]]);
  });

  it('reads a ZIP64 form of the same archive', () => {
    const path = write('zip64.pt', toZip64(readFileSync(fixture('dtypes_and_views.zip.pt'))));
    expect(readStateDictFile(path).tensors).toEqual(readStateDictFile(fixture('dtypes_and_views.zip.pt')).tensors);
  });
});

describe('files that try to run code', () => {
  it('loads nothing and runs nothing from os.system or builtins.eval; the global is named', () => {
    rmSync(FIXTURE_PAYLOAD, { force: true });
    for (const [name, global] of [
      ['os_system.zip.pt', 'os.system'],
      ['builtins_eval.legacy.pt', 'builtins.eval'],
    ]) {
      const file = readTorchFile(fixture(name));
      expect(file.placeholders).toEqual([global]);
      expect(file.root).toBeInstanceOf(Placeholder);
      expect((file.root as Placeholder).$global).toBe(global);
      expect(String((file.root as Placeholder).args![0])).toContain(FIXTURE_PAYLOAD);
      const message = new RegExp(`${fixture(name)}: no state dict found: .*${global.replace('.', '\\.')}`);
      expect(() => readStateDictFile(fixture(name))).toThrow(message);
    }
    expect(existsSync(FIXTURE_PAYLOAD)).toBe(false);
  });

  it('keeps unknown globals beside a state dict as inert data and reports them', () => {
    const payload = join(dir, 'pwned');
    const main = pickle(
      P.emptyDict,
      P.mark,
      P.str('args'),
      P.global('argparse', 'Namespace'),
      P.emptyTuple,
      P.reduce,
      P.emptyDict,
      P.mark,
      P.str('lr'),
      P.float(0.1),
      P.setitems,
      P.build,
      P.str('hook'),
      P.global('os', 'system'),
      P.str(`touch ${payload}`),
      P.tuple1,
      P.reduce,
      P.str('state_dict'),
      P.emptyDict,
      P.mark,
      P.str('w'),
      tensorPickle('k0', 4, [2, 2], [1, 2]),
      P.setitems,
      P.setitems,
    );
    const path = write('namespace.legacy.pt', legacyFile(main, [{ key: 'k0', values: [1, 2, 3, 4] }]));
    const f = readStateDictFile(path);
    expect(existsSync(payload)).toBe(false);
    expect(f.placeholders).toEqual(['argparse.Namespace', 'os.system']);
    expect(f.container).toBe("['state_dict']");
    expect(f.extras).toEqual({}); // placeholders are not scalars
    expect(floats(f.tensors.get('w')!)).toEqual([1, 3, 2, 4]); // a transposed view, made contiguous
    const args = (readTorchFile(path).root as Map<string, Placeholder>).get('args')!;
    expect(args.state).toEqual(new Map([['lr', 0.1]]));
  });

  it('fails on a legacy file whose main object is os.system, without running it', () => {
    const payload = join(dir, 'pwned-legacy');
    const main = pickle(P.global('os', 'system'), P.str(`touch ${payload}`), P.tuple1, P.reduce);
    const path = write('os_system.legacy.pt', legacyFile(main));
    expect(() => readStateDictFile(path)).toThrow(/os\.system/);
    expect(existsSync(payload)).toBe(false);
  });
});

describe('broken files fail clearly, naming the file and what is wrong', () => {
  const cut = (name: string, fraction: number) => {
    const bytes = readFileSync(fixture(name));
    return write(`cut-${fraction}-${name}`, bytes.subarray(0, Math.floor(bytes.length * fraction)));
  };

  it('a truncated zip', () => {
    const path = cut('cifar_resnet18_w8.zip.pt', 0.6);
    expect(() => readStateDictFile(path)).toThrow(`${path}: truncated or not a zip archive`);
  });

  it('a zip entry that is missing, cut short or corrupted', () => {
    const missing = fixture('missing_entry.zip.pt');
    expect(() => readStateDictFile(missing)).toThrow(`${missing}: zip entry dtypes_and_views.zip/data/1 is missing`);
    const short = fixture('short_storage.zip.pt');
    expect(() => readStateDictFile(short)).toThrow(
      `${short}: zip entry dtypes_and_views.zip/data/0 (torch.HalfStorage, 15 elements) needs 30 bytes but holds 15`,
    );
    const bytes = new Uint8Array(readFileSync(fixture('dtypes_and_views.zip.pt')));
    const entry = readZip(bytes, 'x').entries.get('dtypes_and_views.zip/data/4')!;
    const local = new DataView(bytes.buffer, entry.localHeaderOffset);
    const dataStart = entry.localHeaderOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
    bytes[dataStart + 10] ^= 0xff;
    const path = write('corrupt.zip.pt', bytes);
    expect(() => readStateDictFile(path)).toThrow(
      `${path}: zip entry dtypes_and_views.zip/data/4 fails its CRC-32 check`,
    );
  });

  it('a truncated legacy file, in its storages or in its pickle', () => {
    const late = cut('cifar_resnet18_w8.legacy.pt', 0.7);
    const message = new RegExp(`^${late}: truncated legacy checkpoint \\(storage \\d+ needs bytes`);
    expect(() => readStateDictFile(late)).toThrow(message);
    const early = cut('cifar_resnet18_w8.legacy.pt', 0.01);
    expect(() => readStateDictFile(early)).toThrow(new RegExp(`^${early}: pickle at byte \\d+: truncated`));
  });

  it('every truncation of a small legacy file is a clear error, never a crash', () => {
    const main = pickle(P.emptyDict, P.mark, P.str('w'), tensorPickle('k0', 4, [4], [1]), P.setitems);
    const bytes = legacyFile(main, [{ key: 'k0', values: [1, 2, 3, 4] }]);
    expect(floats(readStateDictFile(write('whole.pt', bytes)).tensors.get('w')!)).toEqual([1, 2, 3, 4]);
    for (let n = 1; n < bytes.length; n++) {
      const path = write('prefix.pt', bytes.subarray(0, n));
      expect(() => readStateDictFile(path), `${n} bytes`).toThrow(new RegExp(`^${path}: `));
    }
  });

  it('wrong magic number, or not a checkpoint at all', () => {
    const wrong = write('magic.pt', legacyFile(pickle(P.emptyDict), [], 0x6d));
    expect(() => readStateDictFile(wrong)).toThrow(`${wrong}: not a PyTorch checkpoint (wrong magic number`);
    const text = write('notes.pt', new TextEncoder().encode('hello, this is not a checkpoint'));
    expect(() => readStateDictFile(text)).toThrow(`${text}: not a checkpoint rftbench reads`);
    const plainPickle = write('plain.pkl', pickle(P.emptyDict));
    expect(() => readStateDictFile(plainPickle)).toThrow(
      `${plainPickle}: not a PyTorch checkpoint (wrong magic number`,
    );
  });

  it('a storage type rftbench does not read', () => {
    const path = fixture('unknown_storage.zip.pt');
    expect(() => readStateDictFile(path)).toThrow(
      `${path}: storage 0 has type torch.ComplexFloatStorage, which rftbench does not read`,
    );
  });

  it('a tensor that reaches past its storage', () => {
    const main = pickle(P.emptyDict, P.mark, P.str('w'), tensorPickle('k0', 4, [3, 2], [2, 1]), P.setitems);
    const path = write('past.pt', legacyFile(main, [{ key: 'k0', values: [1, 2, 3, 4] }]));
    expect(() => readStateDictFile(path)).toThrow(
      `${path}: a tensor of shape [3,2] needs 6 elements of legacy storage k0, which declares 4`,
    );
  });

  it('a legacy storage whose element count disagrees with its tensors', () => {
    const main = pickle(P.emptyDict, P.mark, P.str('w'), tensorPickle('k0', 5, [4], [1]), P.setitems);
    const path = write('count.pt', legacyFile(main, [{ key: 'k0', values: [1, 2, 3, 4] }]));
    expect(() => readStateDictFile(path)).toThrow(
      `${path}: storage k0 holds 4 elements on disk, its tensors declare 5`,
    );
  });

  it('a missing file', () => {
    const path = join(dir, 'nope.pt');
    expect(() => readStateDictFile(path)).toThrow(`${path}: cannot read checkpoint`);
    expect(() => readTorchFile(path)).toThrow(`${path}: cannot read PyTorch checkpoint`);
  });

  it('an unsupported pickle opcode names its byte', () => {
    const path = write('ext.pt', legacyFile(concat(P.proto, [0x82, 0x01], P.stop)));
    expect(() => readStateDictFile(path)).toThrow(new RegExp(`^${path}: pickle at byte \\d+: unsupported opcode 0x82`));
  });
});
