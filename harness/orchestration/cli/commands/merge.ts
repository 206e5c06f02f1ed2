/** @module `rftbench merge A.db B.db … --into C.db`: merge shard stores without duplicates (see results/merge.ts). */
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { mergeStores } from '../../../../results/merge.ts';

const command: Command = {
  name: 'merge',
  summary: 'merge result stores (shards) into one, without duplicates',
  usage: `Usage: rftbench merge A.db B.db … --into C.db

  --into PATH   the merged store; if it exists, its cells are kept and merged too

The same cell in two stores is kept once when the records agree; completed beats failed, measured beats
self-reported; two completed records with different numbers are an error and nothing is written.
Example: rftbench merge results/shards/*.db --into results/rftbench.db`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { into: { type: 'string' } }, { positionals: 10_000 });
    if (!values.into) throw new UsageError('--into is required');
    if (positionals.length === 0) throw new UsageError('give at least one input store');
    const r = mergeStores(positionals, values.into);
    console.log(
      `merged ${r.inputs} stores into ${values.into}: ${r.cells} cells (${r.duplicates} duplicates resolved, ${r.replacedFailed} failed cells replaced by completed ones), ${r.runs} runs, ${r.sources} sources`,
    );
    return 0;
  },
};

export default command;
