/**
 * `rftbench datasets list | info | fetch | verify` run as the real command on a data folder written by
 * the test: what it reports per file and per cache entry, a tampered cache entry, a refused download.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeMatV5 } from '../../datasets/formats/writers.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rftbench-dscli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function rftbench(...args: string[]) {
  const r = spawnSync(process.execPath, ['harness/orchestration/cli/rftbench.mjs', 'datasets', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, RFTBENCH_DATA: join(dir, 'env-data') },
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

function mat(n: number): Buffer {
  return writeMatV5(
    [
      { name: 'X', className: 'uint8', dims: [32, 32, 3, n], values: new Uint8Array(3072 * n).fill(9) },
      { name: 'y', className: 'double', dims: [n, 1], values: Array.from({ length: n }, (_, i) => i + 1) },
    ],
    { compress: true },
  );
}

describe('rftbench datasets', () => {
  const data = join(dir, 'data');
  mkdirSync(join(data, 'svhn'), { recursive: true });
  writeFileSync(join(data, 'svhn', 'train_32x32.mat'), mat(3));
  writeFileSync(join(data, 'svhn', 'test_32x32.mat'), mat(2));

  it('list shows every dataset with classes, input size, download size and state', () => {
    const r = rftbench('list', '--data', data);
    expect(r.status).toBe(0);
    for (const id of ['svhn', 'gtsrb', 'caltech256', 'tiny-imagenet', 'cifar10-c', 'cifar100-c', 'tiny-imagenet-c'])
      expect(r.out).toMatch(new RegExp(`^${id}\\s`, 'm'));
    expect(r.out).toMatch(/^svhn\s+10 classes\s+32x32x3\s+246\.3 MB\s+files present/m);
    expect(r.out).toMatch(/^cifar10-c\s+10 classes\s+32x32x3\s+2\.92 GB\s+not downloaded/m);
    expect(r.out).toContain(`data root: ${data}`);
  });

  it('fetch with the files in place decodes both splits into the cache; verify checks each cache entry', () => {
    const f = rftbench('fetch', 'svhn', '--data', data);
    expect(f.status).toBe(0);
    expect(f.out).toMatch(/^svhn train: 3 images 32x32x3/m);
    expect(f.out).toMatch(/^svhn test: 2 images 32x32x3/m);
    const info = rftbench('info', 'svhn', '--data', data, '--load');
    expect(info.out).toMatch(/file\s+train_32x32\.mat: present \(\d+ bytes; `verify` checks it\)/);
    expect(info.out).toMatch(/cache\s+test: 2 images, .* in .*svhn\/cache\/svhn-mat-e26dedcc-eb5a983b\/test\.u8/);
    expect(info.out).toMatch(/test\s+2 images/);

    // The source files are gone after caching (allowed): verify reports them absent and checks the cache.
    rmSync(join(data, 'svhn', 'train_32x32.mat'));
    rmSync(join(data, 'svhn', 'test_32x32.mat'));
    const ok = rftbench('verify', 'svhn', '--data', data);
    expect(ok.status).toBe(0);
    expect(ok.out).toMatch(/^absent\s+source .*train_32x32\.mat\n\s+not downloaded$/m);
    expect(ok.out).toMatch(/^ok\s+cache\s+.*test\.u8\n\s+sha256 [0-9a-f]{16}\.\.\., 2 images 32x32x3/m);
    expect(ok.out).toContain('svhn: all present files verified');

    // Flip one byte of a cached split: verify names that file and fails.
    const cached = join(data, 'svhn', 'cache', 'svhn-mat-e26dedcc-eb5a983b', 'train.u8');
    const bytes = readFileSync(cached);
    bytes[10] ^= 0xff;
    writeFileSync(cached, bytes);
    const bad = rftbench('verify', 'svhn', '--data', data);
    expect(bad.status).toBe(1);
    expect(bad.out).toMatch(
      new RegExp(
        `^MISMATCH cache  ${cached.replace(/[.]/g, '\\.')}\\n\\s+sha256 is [0-9a-f]{64}, the index says [0-9a-f]{64}`,
        'm',
      ),
    );
    expect(bad.out).toContain('svhn: 1 of 4 checks FAILED');
  });

  it('a downloaded source file with the wrong checksum is reported as MISMATCH', () => {
    const other = join(dir, 'other');
    mkdirSync(join(other, 'svhn'), { recursive: true });
    writeFileSync(join(other, 'svhn', 'test_32x32.mat'), mat(1));
    // A file in the dataset folder under the archive's name counts as downloaded: verify checks it.
    const r = rftbench('verify', 'svhn', '--data', other);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(
      /^MISMATCH source .*test_32x32\.mat\n\s+md5 is [0-9a-f]{32}, expected eb5a983be6a315427106f1b164d9cef3/m,
    );
  });

  it('fetch from an unreachable mirror fails naming the URL; bad subcommands and ids are usage errors', () => {
    const r = rftbench('fetch', 'gtsrb', '--data', join(dir, 'nothing'), '--mirror', 'http://127.0.0.1:9');
    expect(r.status).toBe(1);
    expect(r.err).toContain('download http://127.0.0.1:9/GTSRB_Final_Training_Images.zip');
    expect(rftbench('frob', 'svhn').status).toBe(2);
    const unknown = rftbench('info', 'svhm');
    expect(unknown.status).toBe(1);
    expect(unknown.err).toMatch(/Unknown dataset 'svhm'\. Did you mean: svhn/);
  });

  it('info on a corrupted set lists corruptions and how to select one', () => {
    const r = rftbench('info', 'cifar10-c', '--data', data);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/corruptions gaussian_noise, shot_noise, impulse_noise/);
    expect(r.out).toContain('select one split as cifar10-c:<corruption>:<severity>, e.g. cifar10-c:gaussian_noise:3');
  });
});
