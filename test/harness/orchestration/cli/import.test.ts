/**
 * `rftbench import` and `rftbench eval` on PyTorch files, in subprocesses as a user runs them: import a
 * MadryLab-style checkpoint (normaliser and attacker copy inside), check the written safetensors gives
 * PyTorch's logits, evaluate it, evaluate a `.pt` directly with --arch (same numbers as its import),
 * and name the flag on every bad one. The CIFAR-10 test split is the first 100 real test records.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, readCheckpointFile } from '../../../../harness/foundation/checkpoint/checkpoint.ts';
import type { ModelSpec } from '../../../../harness/foundation/models/classifier.ts';
import type { Command } from '../../../../harness/orchestration/cli/command.ts';
import evalCommand from '../../../../harness/orchestration/cli/commands/eval.ts';
import importCommand from '../../../../harness/orchestration/cli/commands/import.ts';
import { buildModel } from '../../../../harness/foundation/models/zoo.ts';
import { CIFAR10_FIRST100 } from '../../../support/fixtures.ts';
import { useCpuBackend } from '../../../support/tf.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const fixtures = join(root, 'test/fixtures/torch');
const dir = mkdtempSync(join(tmpdir(), 'rftbench-import-'));
const data = join(dir, 'data');
const CIFAR = { mean: '0.4914,0.4822,0.4465', std: '0.2023,0.1994,0.2010' };

function rftbench(...args: string[]) {
  const env = { ...process.env, RFTBENCH_DATA: data };
  const r = spawnSync(process.execPath, ['harness/orchestration/cli/rftbench.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    env,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

interface Printed {
  sha256: string;
  n: number;
  metrics: { name: string; value: number; n: number }[];
}

beforeAll(async () => {
  await useCpuBackend();
  // The cifar10 loader reads files put in place by hand: here the first 100 real test records.
  mkdirSync(join(data, 'cifar10', 'cifar-10-batches-bin'), { recursive: true });
  copyFileSync(CIFAR10_FIRST100, join(data, 'cifar10', 'cifar-10-batches-bin', 'test_batch.bin'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rftbench import', () => {
  const out = join(dir, 'madry.safetensors');

  it('converts a MadryLab checkpoint: spec, origin and probe in the metadata, logits as PyTorch gave', () => {
    const input = join(fixtures, 'madry_resnet18_w8.legacy.pt');
    const r = rftbench('import', input, '--arch', 'resnet18', '--out', out);
    expect(r.status, r.err).toBe(0);
    expect(r.out).toContain(`read ${input}: torch-legacy, container ['model']`);
    expect(r.out).toMatch(
      /input normalisation from normalizer\.new_mean \/ normalizer\.new_std: mean \[0\.4914, 0\.4822, 0\.4465\]/,
    );
    expect(r.out).toMatch(/dropped attacker\.model\.\* \(\d+ keys\): MadryLab's attacker copy, equal to model\.\*/);
    expect(r.out).toContain('loaded as resnet18 width 8, 10 classes, input 32x32x3');
    const sha = createHash('sha256').update(readFileSync(out)).digest('hex');
    expect(r.out).toContain(`wrote ${out} (sha256 ${sha})`);

    const file = readCheckpointFile(out);
    const spec = file.metadata.spec as ModelSpec;
    const { mean, std, ...rest } = spec;
    expect(rest).toEqual({ arch: 'resnet18', numClasses: 10, inputShape: [32, 32, 3], width: 8 });
    expect([mean.length, std.length]).toEqual([3, 3]);
    const origin = file.metadata.origin as Record<string, unknown>;
    expect(origin.format).toBe('torch-legacy');
    expect(origin.sha256).toBe(createHash('sha256').update(readFileSync(input)).digest('hex'));

    // The converted file alone (our loader, our spec) gives PyTorch's logits and the stored probe's.
    const logits = JSON.parse(readFileSync(join(fixtures, 'logits.json'), 'utf8'));
    const { shape, pixels } = logits.inputs.cifar32;
    const model = buildModel(spec, 5).eval();
    try {
      loadCheckpoint(out, model);
      const got = tf.tidy(() => model.forward(tf.div(tf.tensor4d(pixels, shape, 'float32'), 255)).arraySync());
      const want = logits.models.madry_resnet18_w8.logits as number[][];
      got.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - want[i][j])).toBeLessThan(1e-4)));
      const probe = file.metadata.probe as { seed: number; n: number; logits: number[][] };
      expect(probe.logits).toHaveLength(probe.n);
      expect(probe.logits.flat().every(Number.isFinite)).toBe(true);
    } finally {
      model.dispose();
    }
  }, 60_000);

  it('the imported checkpoint evaluates with rftbench eval as any rftbench checkpoint', () => {
    const r = rftbench(
      'eval',
      '--model',
      out,
      '--dataset',
      'cifar10',
      '--data',
      data,
      '--attack',
      'pgd',
      '--n',
      '16',
      '--json',
    );
    expect(r.status, r.err).toBe(0);
    const printed = JSON.parse(r.out) as Printed;
    expect(printed.metrics.map((m) => m.name)).toEqual(['clean', 'pgd']);
    expect(printed.metrics[0].n).toBe(16);
    expect(printed.metrics[1].value).toBeLessThanOrEqual(printed.metrics[0].value);
  }, 60_000);

  it('rftbench eval reads a .pt with --arch and gets the same numbers as its imported copy', () => {
    const pt = join(fixtures, 'cifar_resnet18_w8.zip.pt');
    const flags = ['--arch', 'resnet18', '--width', '8', '--mean', CIFAR.mean, '--std', CIFAR.std];
    const imported = join(dir, 'cifar.safetensors');
    const i = rftbench('import', pt, ...flags, '--out', imported);
    expect(i.status, i.err).toBe(0);
    const evalArgs = ['--dataset', 'cifar10', '--data', data, '--attack', 'pgd', '--n', '12', '--json'];
    const direct = rftbench('eval', '--model', pt, ...flags, ...evalArgs);
    expect(direct.status, direct.err).toBe(0);
    expect(direct.err).toContain(`${pt}: torch-zip`);
    const viaImport = rftbench('eval', '--model', imported, ...evalArgs);
    expect(viaImport.status, viaImport.err).toBe(0);
    const a = JSON.parse(direct.out) as Printed;
    const b = JSON.parse(viaImport.out) as Printed;
    expect(a.sha256).toBe(createHash('sha256').update(readFileSync(pt)).digest('hex'));
    expect(a.metrics).toEqual(b.metrics);
  }, 90_000);

  it('names the flag or the file on bad input, and writes nothing', async () => {
    const pt = join(fixtures, 'cifar_resnet18_w8.zip.pt');
    const bad = join(dir, 'bad.safetensors');
    // Through the commands' run (errors thrown before any model is built), then the exit codes in a subprocess.
    const cases: [Command, string[], string | RegExp][] = [
      [importCommand, ['--arch', 'resnet18', '--out', bad], 'FILE (the checkpoint to import) is required'],
      [importCommand, [pt, '--out', bad], '--arch is required'],
      [importCommand, [pt, '--arch', 'resnet18'], '--out is required'],
      [importCommand, [pt, '--arch', 'resnet18', '--out', join(dir, 'x.pt')], '--out must end in .safetensors'],
      [importCommand, [out, '--arch', 'resnet18', '--out', out], '--out must differ from FILE (the input is kept)'],
      [
        importCommand,
        [pt, '--arch', 'resnet18', '--num-classes', '0', '--out', bad],
        "--num-classes must be a positive integer, got '0'",
      ],
      [
        importCommand,
        [pt, '--arch', 'resnet18', '--width', 'eight', '--out', bad],
        "--width must be a positive integer, got 'eight'",
      ],
      [
        importCommand,
        [pt, '--arch', 'resnet18', '--input-shape', '32x32', '--out', bad],
        "--input-shape must look like HxWxC (e.g. 32x32x3), got '32x32'",
      ],
      [
        importCommand,
        [pt, '--arch', 'resnet18', '--mean', '0.5,x,0.5', '--out', bad],
        '--mean must be comma-separated numbers',
      ],
      [importCommand, [pt, '--arch', 'resnet18', '--std', '0.2,0,0.2', '--out', bad], '--std values must be positive'],
      [
        importCommand,
        [pt, '--arch', 'resnet18', '--map', 'linear.', '--out', bad],
        "--map: key map rule 'linear.' must look like FROM=TO",
      ],
      [
        importCommand,
        [pt, '--arch', 'resnet18', '--map', 'fc.=linear.', '--out', bad],
        "key map rule 'fc.=linear.' (--map) matches no key",
      ],
      [
        importCommand,
        [pt, '--arch', 'resnet18', '--mean', '0.5,0.5', '--out', bad],
        '--mean: 2 values for a model with 3 input channels',
      ],
      [importCommand, [pt, '--arch', 'resnt18', '--out', bad], /resnt18.*Did you mean: resnet18/],
      [importCommand, [pt, '--arch', 'resnet18', '--out', bad, '--wdth', '8'], "Unknown option '--wdth'"],
      [evalCommand, ['--model', pt, '--dataset', 'cifar10'], `--arch is required for ${pt}`],
      [
        evalCommand,
        ['--model', join(dir, 'madry.safetensors'), '--width', '8', '--dataset', 'cifar10'],
        '--width needs --arch',
      ],
    ];
    for (const [command, args, message] of cases)
      await expect(command.run(args), args.join(' ')).rejects.toThrow(message);

    let r = rftbench('import', pt, '--arch', 'resnet18', '--num-classes', '5', '--out', bad);
    expect(r.status).toBe(1);
    const as = `${pt} (as resnet18 width 8, 5 classes, input 32x32x3)`;
    expect(r.err).toContain(`${as}: linear.weight: expected shape [5, 64], got [10, 64]`);
    r = rftbench('import', pt, '--arch', 'resnet18', '--width', '0', '--out', bad);
    expect(r.status).toBe(2);
    expect(r.err).toContain("rftbench import: --width must be a positive integer, got '0'");
    expect(r.err).toContain('Usage: rftbench import FILE --arch ID');
    expect(existsSync(bad)).toBe(false);
  }, 60_000);
});
