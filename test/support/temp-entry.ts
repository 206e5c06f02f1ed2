/**
 * A method entry written to a folder outside the repository, as a submitter would have it: the entry, a local
 * helper it imports, its own package.json, and node_modules linked to ours (the submitter's install of rftbench's
 * dependencies). It imports the harness by a relative path to this checkout.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Writes the entry into `dir`; `weight` (in the helper) scales the loss, so changing it changes the numbers. */
export function writeTempEntry(dir: string, id: string, weight: number): string {
  mkdirSync(dir, { recursive: true });
  const repo = relative(dir, ROOT).split('\\').join('/');
  writeFileSync(join(dir, 'package.json'), '{ "type": "module", "private": true }\n');
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'weight.ts'), `/** How much the clean loss counts. */\nexport const WEIGHT = ${weight};\n`);
  writeFileSync(
    join(dir, 'entry.ts'),
    `import { z } from 'zod';
import { crossEntropy } from '${repo}/harness/foundation/nn/losses.ts';
import { sgdConfig } from '${repo}/methods/common/sgd-config.ts';
import { fineTuneWith } from '${repo}/methods/common/fine-tune.ts';
import { defineMethod } from '${repo}/methods/define.ts';
import { WEIGHT } from './weight.ts';

export default defineMethod({
  id: '${id}',
  title: 'Scaled clean fine-tuning (a test entry outside the repository)',
  description: 'Cross-entropy on clean batches, scaled by a constant from a local module.',
  config: z.strictObject(sgdConfig),
  fineTune: (ctx) => fineTuneWith(ctx, { loss: (model, { x, y }) => crossEntropy(model.forward(x), y).mul(WEIGHT) }),
});
`,
  );
  return join(dir, 'entry.ts');
}
