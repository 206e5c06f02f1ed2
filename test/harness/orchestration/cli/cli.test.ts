/**
 * The `rftbench` command on bad input: every error names the flag, file or field, exits non-zero, and
 * leaves an existing store untouched.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSuite } from '../../../../harness/protocol/suites.ts';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rftbench(...args: string[]) {
  const r = spawnSync(process.execPath, ['harness/orchestration/cli/rftbench.mjs', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RFTBENCH_DATA: join(dir, 'data') },
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('rftbench CLI', () => {
  it('lists commands, and suggests the nearest for a typo', () => {
    expect(rftbench('--help').out).toMatch(/run\s+run a suite/);
    const r = rftbench('runn');
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/Unknown command 'runn'\. Did you mean: run\?/);
  });

  it('names an unknown flag and prints the usage', () => {
    const r = rftbench('run', '--suit', 'smoke');
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/Unknown option '--suit'/);
    expect(r.err).toContain('Usage: rftbench run');
  });

  it('names each bad field of a suite file and the unknown config key of a method', () => {
    const suite = JSON.parse(JSON.stringify(loadSuite('smoke')));
    suite.tier.evaluation.n = 0;
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(suite));
    const r = rftbench('run', '--suite', join(dir, 'bad.json'), '--db', join(dir, 'x.db'));
    expect(r.status).toBe(1);
    expect(r.err).toContain(`${join(dir, 'bad.json')}: invalid suite`);
    expect(r.err).toContain('tier.evaluation.n');
    expect(existsSync(join(dir, 'x.db'))).toBe(false);

    const typo = JSON.parse(JSON.stringify(loadSuite('smoke')));
    typo.methods = [{ id: 'standard', config: { lrr: 0.1 } }];
    writeFileSync(join(dir, 'typo.json'), JSON.stringify(typo));
    const t = rftbench('run', '--suite', join(dir, 'typo.json'), '--db', join(dir, 'y.db'));
    expect(t.status).toBe(1);
    expect(t.err).toMatch(/bad config for method 'standard'[\s\S]*methods\[0\]\.config.*lrr/);

    writeFileSync(join(dir, 'broken.json'), '{ "id": ');
    expect(rftbench('run', '--suite', join(dir, 'broken.json')).err).toContain(
      `${join(dir, 'broken.json')}: not valid JSON`,
    );
  });

  it('an unknown method id gets "did you mean" and leaves the store as it was', () => {
    const db = join(dir, 'keep.db');
    writeFileSync(db, '');
    const before = statSync(db).size;
    const suite = JSON.parse(JSON.stringify(loadSuite('smoke')));
    suite.methods = [{ id: 'standrd' }];
    writeFileSync(join(dir, 'unknown.json'), JSON.stringify(suite));
    const r = rftbench('run', '--suite', join(dir, 'unknown.json'), '--db', db);
    expect(r.status).toBe(1);
    expect(r.err).toContain("Unknown method 'standrd'. Did you mean: standard?");
    expect(statSync(db).size).toBe(before);
  });

  it('--dry-run prints a suite file that expands to the same cells, and touches no store', () => {
    const db = join(dir, 'dry.db');
    const first = rftbench('run', '--suite', 'smoke', '--dry-run', '--db', db);
    expect(first.status).toBe(0);
    writeFileSync(join(dir, 'dumped.json'), first.out);
    const again = rftbench('run', '--suite', join(dir, 'dumped.json'), '--dry-run', '--db', db);
    // Each stderr line starts with its time and elapsed time (harness/foundation/util/log.ts).
    const ids = (s: string) => [...s.matchAll(/^\S+ \+\S+ cell ([0-9a-f]{16})/gm)].map((m) => m[1]);
    expect(ids(first.err)).toHaveLength(2);
    expect(ids(again.err)).toEqual(ids(first.err));
    expect(existsSync(db)).toBe(false);
  });

  it('methods show prints the config schema with defaults', () => {
    const r = rftbench('methods', 'show', 'at');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/lr\s+number\s+default 0\.01/);
    expect(r.out).toContain('Towards Deep Learning Models Resistant to Adversarial Attacks');
  });
});
