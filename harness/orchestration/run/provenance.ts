/**
 * @module Provenance: what produced a number. The git commit (with `+dirty` when the tree differs),
 * the backend and its thread count, package and runtime versions, the host. Recorded with every run.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BackendInfo } from '../../foundation/tensor/backend.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** `abc123…` or `abc123…+dirty`; `unknown` outside a git checkout. */
export function gitCommit(): string {
  const head = git(['rev-parse', 'HEAD']);
  if (!head) return 'unknown';
  const dirty = git(['status', '--porcelain', '--untracked-files=no']);
  return dirty ? `${head}+dirty` : head;
}

const PACKAGES = [
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  'better-sqlite3',
  'drizzle-orm',
  'zod',
];

export function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PACKAGES) {
    try {
      const pkg = JSON.parse(readFileSync(`${REPO_ROOT}node_modules/${name}/package.json`, 'utf8')) as {
        version: string;
      };
      out[name] = pkg.version;
    } catch {
      // Not installed (the optional GPU/CPU native backends usually are not): leave it out.
    }
  }
  return out;
}

export function harnessVersion(): string {
  const pkg = JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as { version: string };
  return pkg.version;
}

export interface Environment {
  harness: string;
  commit: string;
  backend: BackendInfo['name'];
  tfjsVersion: string;
  threads: number;
  simd: boolean;
  customKernels: string[];
  /** Which code computed convolutions and training BatchNorm (native or wasm): results differ in the last bits. */
  nativeKernels?: string;
  node: string;
  platform: string;
  cpus: string;
  cores: number;
  memoryGiB: number;
  packages: Record<string, string>;
}

export function describeEnvironment(backend: BackendInfo): Environment {
  const cpus = os.cpus();
  return {
    harness: harnessVersion(),
    commit: gitCommit(),
    backend: backend.name,
    tfjsVersion: backend.tfjsVersion,
    threads: backend.threads,
    simd: backend.simd,
    customKernels: backend.customKernels,
    ...(backend.nativeKernels ? { nativeKernels: backend.nativeKernels } : {}),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    packages: packageVersions(),
  };
}
