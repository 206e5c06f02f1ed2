/** @module `rftbench datasets list | info ID`: the datasets, their versions, classes and where their files are. */
import type { Command } from '../command.ts';
import { UsageError, parseFlags } from '../command.ts';
import { dataRoot } from '../../../datasets/cache-dir.ts';
import { datasetIds, getDataset } from '../../../datasets/registry.ts';

const command: Command = {
  name: 'datasets',
  summary: 'list datasets, or show one (version, classes, shape, split sizes)',
  usage: `Usage: rftbench datasets list
       rftbench datasets info ID [--data DIR]

ID may select classes: fashion-mnist[0-4], fashion-mnist[5,6,7].
Example: rftbench datasets info fashion-mnist[5-9]`,
  async run(argv) {
    const { values, positionals } = parseFlags(argv, { data: { type: 'string' } }, { positionals: 2 });
    const [sub = 'list', id] = positionals;
    if (sub === 'list') {
      for (const d of datasetIds()) {
        const ds = getDataset(d, { dataDir: values.data });
        console.log(`${d.padEnd(16)} ${ds.classNames.length} classes, ${ds.inputShape.join('x')}  ${ds.version}`);
      }
      console.log(`\ncache: ${dataRoot({ dataDir: values.data })}`);
      return 0;
    }
    if (sub !== 'info') throw new UsageError(`unknown subcommand '${sub}' (list | info)`);
    if (!id) throw new UsageError('datasets info needs an ID');
    const ds = getDataset(id, { dataDir: values.data, download: false });
    console.log(`${ds.id}\n  version  ${ds.version}\n  input    ${ds.inputShape.join('x')}\n  classes  ${ds.classNames.join(', ')}`);
    for (const split of ['train', 'test'] as const) {
      const s = await ds.load(split);
      console.log(`  ${split.padEnd(8)} ${s.n} images`);
    }
    return 0;
  },
};

export default command;
