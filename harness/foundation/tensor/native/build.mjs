#!/usr/bin/env node
// Builds the optional native kernels (convolutions on OpenBLAS, BatchNorm) at `npm install`. Optional:
// without OpenBLAS headers or a compiler, rftbench keeps the pure-wasm kernels and says so here and in
// `rftbench env`. RFTBENCH_NATIVE=0 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const skip = (why) => {
  console.warn(`rftbench: native kernels not built: ${why}; the wasm kernels will be used.`);
  process.exit(0);
};

if (process.env.RFTBENCH_NATIVE === '0') skip('RFTBENCH_NATIVE=0');
const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[arch()] ?? `${arch()}-linux-gnu`;
// Debian's three OpenBLAS variants, then other distributions' and source installs' places.
const debian = ['pthread', 'openmp', 'serial'].map((v) => `/usr/include/${triplet}/openblas-${v}`);
const includes = [
  process.env.RFTBENCH_CBLAS_INCLUDE,
  ...debian,
  '/usr/include/openblas',
  '/usr/local/include',
  '/usr/include',
];
const include = includes.find((d) => d && existsSync(join(d, 'cblas.h')) && existsSync(join(d, 'openblas_config.h')));
if (!include) skip('OpenBLAS headers not found (Debian: apt-get install libopenblas-dev)');

// npm hands its bundled node-gyp to install scripts; run by hand, find the one beside npm.
const gyp = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'),
].find((p) => p && existsSync(p));
if (!gyp) skip('node-gyp not found');
// Offline, node-gyp must build against installed headers rather than download them.
const nodedir = process.env.npm_config_nodedir || (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
const args = [gyp, 'rebuild', '--release', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const run = spawnSync(process.execPath, args, {
  cwd: here,
  stdio: 'inherit',
  env: { ...process.env, RFTBENCH_CBLAS_INCLUDE: include },
});
if (run.status !== 0) skip(`node-gyp failed (exit ${run.status})`);
console.log(`rftbench: native kernels built (OpenBLAS headers in ${include})`);
