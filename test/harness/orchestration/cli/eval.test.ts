/**
 * `rftbench eval` end to end: pre-train the smoke suite's source through the CLI, then evaluate that
 * checkpoint with AutoAttack and with one attack, and check the bad-input paths name their flag or file.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAttack, parseEps } from '../../../../harness/orchestration/cli/commands/eval.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-eval-'));
const data = join(dir, 'data');
let checkpoint: string;

function rftbench(...args: string[]) {
  const r = spawnSync(process.execPath, ['harness/orchestration/cli/rftbench.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RFTBENCH_DATA: data },
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

interface Printed {
  metrics: { name: string; value: number; n: number; details: Record<string, unknown> }[];
  n: number;
}

beforeAll(() => {
  const r = rftbench('pretrain', '--suite', 'smoke', '--db', join(dir, 'store.db'), '--data', data);
  expect(r.status, r.err).toBe(0);
  const [file] = readdirSync(join(data, 'sources')).filter((f) => f.endsWith('.safetensors'));
  checkpoint = join(data, 'sources', file);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rftbench eval', () => {
  it('parses eps fractions and attack names, naming the flag when they are wrong', () => {
    expect(parseEps('8/255')).toBeCloseTo(8 / 255, 12);
    expect(parseEps('0.5')).toBe(0.5);
    expect(() => parseEps('8/0')).toThrow(/--eps/);
    expect(() => parseEps('abc')).toThrow(/--eps/);
    expect(parseAttack('autoattack:plus')).toEqual({ id: 'autoattack', version: 'plus' });
    expect(() => parseAttack('pgd:plus')).toThrow(/only autoattack takes a version/);
    expect(() => parseAttack('autoattack:fast')).toThrow(/unknown AutoAttack version 'fast'/);
    expect(() => parseAttack('apgd')).toThrow(/--attack: Unknown attack 'apgd'\. Did you mean: pgd, apgd-t, apgd-ce\?/);
  });

  it('prints clean accuracy, robust accuracy after each AutoAttack component, and the final number', () => {
    const r = rftbench(
      'eval',
      '--model',
      checkpoint,
      '--dataset',
      'synthetic[0-1]',
      '--attack',
      'autoattack',
      '--n',
      '24',
      '--json',
    );
    expect(r.status, r.err).toBe(0);
    const out = JSON.parse(r.out) as Printed;
    expect(out.metrics.map((m) => m.name)).toEqual([
      'clean',
      'after apgd-ce',
      'after apgd-t',
      'after fab-t',
      'after square',
      'autoattack',
    ]);
    const values = out.metrics.map((m) => m.value);
    expect(values[0]).toBeGreaterThan(0.5);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeLessThanOrEqual(values[i - 1] + 1e-12);
    const aa = out.metrics[5];
    expect(aa.n).toBe(24);
    expect(aa.details.maxPerturbation as number).toBeLessThanOrEqual((8 / 255) * (1 + 1e-5));
    // Two classes: DLR cannot be used, and the record says so.
    expect(JSON.stringify(aa.details.sanityFlags)).toContain('too-few-classes');
    expect(r.err).toMatch(/robust accuracy after APGD-CE/);
  }, 120_000);

  it('runs a single attack and never reports more robust than clean', () => {
    const r = rftbench(
      'eval',
      '--model',
      checkpoint,
      '--dataset',
      'synthetic[0-1]',
      '--attack',
      'pgd',
      '--eps',
      '8/255',
      '--n',
      '32',
      '--json',
    );
    expect(r.status, r.err).toBe(0);
    const out = JSON.parse(r.out) as Printed;
    expect(out.metrics.map((m) => m.name)).toEqual(['clean', 'pgd']);
    expect(out.metrics[1].value).toBeLessThanOrEqual(out.metrics[0].value);
  }, 60_000);

  it('names the file or flag on bad input', () => {
    const noSpec = join(dir, 'not-a-checkpoint.safetensors');
    writeFileSync(noSpec, 'garbage');
    let r = rftbench('eval', '--model', noSpec, '--dataset', 'synthetic[0-1]');
    expect(r.status).toBe(1);
    expect(r.err).toContain(noSpec);
    r = rftbench('eval', '--model', checkpoint, '--dataset', 'synthetic');
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/--dataset synthetic has 4 classes but the model .* has 2/);
    r = rftbench('eval', '--dataset', 'synthetic');
    expect(r.status).toBe(2);
    expect(r.err).toContain('--model is required');
    r = rftbench('eval', '--model', checkpoint, '--dataset', 'synthetic[0-1]', '--norm', 'L1');
    expect(r.status).toBe(2);
    expect(r.err).toContain('--norm must be Linf or L2');
  }, 60_000);
});
