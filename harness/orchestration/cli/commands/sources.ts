/** @module `rftbench sources list`: the catalog of published robust checkpoints a task may name as its source. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { CATALOG } from '../../../protocol/catalog.ts';
import { checkpointFileName, externalFolder } from '../../pretrain/external-checkpoint.ts';
import { readPins } from '../../pretrain/checkpoint-pins.ts';
import { ExternalSourceSchema } from '../../../protocol/schema.ts';

const command: Command = {
  name: 'sources',
  summary: 'list the catalog of published robust checkpoints (task source: "<id>"), and whether each is here',
  usage: `Usage: rftbench sources list [--data DIR]

A task names one as  "source": "salman2020-resnet50-linf-eps4"  (or { "catalog": "..." }); the run downloads it
into DIR/sources/external/<file> once (offline: put the file there by hand) and pins its sha256.`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { data: { type: 'string' } }, { positionals: 1 });
    const [sub = 'list'] = positionals;
    if (sub !== 'list') throw new UsageError(`unknown subcommand '${sub}' (list)`);
    const folder = externalFolder(values.data);
    const pins = readPins(join(folder, 'pins.json'));
    for (const entry of CATALOG) {
      const s = ExternalSourceSchema.parse(entry.source);
      const file = checkpointFileName(s.checkpoint);
      const here = existsSync(join(folder, file))
        ? pins[s.checkpoint.url!]
          ? 'here, pinned'
          : 'here'
        : 'not downloaded';
      console.log(`${entry.id.padEnd(48)} ${entry.title}`);
      console.log(`${''.padEnd(48)} ${s.arch}, ${s.inputShape.join('x')}, ${s.numClasses} classes; ${file}: ${here}`);
      console.log(`${''.padEnd(48)} ${s.citation}`);
    }
    console.log(`\nfolder: ${folder}`);
    return 0;
  },
};

export default command;
