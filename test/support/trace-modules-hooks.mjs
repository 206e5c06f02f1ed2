/** Module hooks of trace-modules.mjs: append each resolved URL to the trace file (synchronously, so none is lost). */
import { appendFileSync } from 'node:fs';

let file = '';

export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, nextResolve) {
  const out = await nextResolve(specifier, context);
  appendFileSync(file, `${out.url}\n`);
  return out;
}
