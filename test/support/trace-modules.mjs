/**
 * Loaded with `node --import ./test/support/trace-modules.mjs` before the code under test: every module URL the
 * ESM loader resolves (hooks in trace-modules-hooks.mjs) and, at exit, every CommonJS module in the require cache
 * are appended, one per line, to the file named by RFTBENCH_TRACE_MODULES. A test then asks what a process loaded.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.RFTBENCH_TRACE_MODULES;
if (!file) throw new Error('trace-modules.mjs: set RFTBENCH_TRACE_MODULES to the file to write the module list to');
register('./trace-modules-hooks.mjs', import.meta.url, { data: { file } });
const require = createRequire(import.meta.url);
process.on('exit', () => {
  const cjs = Object.keys(require.cache);
  if (cjs.length) appendFileSync(file, `${cjs.join('\n')}\n`);
});
