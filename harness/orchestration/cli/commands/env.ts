/** @module `rftbench env`: which backend loads here, why the preferred ones did not, versions, threads. */
import type { Command } from '../command.ts';
import { parseFlags } from '../command.ts';
import { initBackend, type BackendName } from '../../../foundation/tensor/backend.ts';
import { describeEnvironment } from '../../run/provenance.ts';

const BACKENDS = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];

const command: Command = {
  name: 'env',
  summary: 'show the tensor backend, why others did not load, versions and threads',
  usage: `Usage: rftbench env [--json] [--backend NAME]

  --json          print the environment record as JSON (what every result records)
  --backend NAME  try only this backend: ${BACKENDS.join(' | ')} (also RFTBENCH_BACKEND)

Example: rftbench env --json`,
  async run(argv) {
    const { values } = parseFlags(argv, { json: { type: 'boolean' }, backend: { type: 'string' } });
    if (values.backend && !BACKENDS.includes(values.backend)) {
      throw new Error(`--backend: unknown backend '${values.backend}'; one of ${BACKENDS.join(', ')}`);
    }
    const info = await initBackend({ backend: values.backend as BackendName | undefined });
    const env = describeEnvironment(info);
    if (values.json) {
      console.log(JSON.stringify({ ...env, attempts: info.attempts }, null, 2));
      return 0;
    }
    console.log(
      `backend      ${env.backend} (tfjs ${env.tfjsVersion}, ${env.threads} thread${env.threads === 1 ? '' : 's'}, SIMD ${env.simd ? 'on' : 'off'})`,
    );
    for (const a of info.attempts)
      console.log(`  ${a.ok ? 'loaded ' : 'skipped'} ${a.name}${a.reason ? `: ${a.reason}` : ''}`);
    if (env.customKernels.length) console.log(`kernels      ${env.customKernels.join(', ')} (registered by rftbench)`);
    if (env.nativeKernels) console.log(`native       ${env.nativeKernels}`);
    console.log(`harness      ${env.harness} @ ${env.commit}`);
    console.log(`node         ${env.node} on ${env.platform}`);
    console.log(`cpu          ${env.cpus} x${env.cores}, ${env.memoryGiB} GiB`);
    for (const [name, version] of Object.entries(env.packages)) console.log(`  ${name.padEnd(30)} ${version}`);
    return 0;
  },
};

export default command;
