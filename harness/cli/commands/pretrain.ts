/** @module `rftbench pretrain`: adversarially pre-train (or re-use) the source models of a suite's tasks. */
import type { Command } from '../command.ts';
import { parseFlags } from '../command.ts';
import { loadSuite } from '../../protocol/suites.ts';
import { ensureSource } from '../../pretrain/sources.ts';
import { initBackend } from '../../tensor/backend.ts';
import { describeEnvironment } from '../../run/provenance.ts';
import { DEFAULT_DB_PATH, Store } from '../../../results/store.ts';

const command: Command = {
  name: 'pretrain',
  summary: "pre-train and cache the adversarially robust source models a suite's tasks use",
  usage: `Usage: rftbench pretrain [--suite ID|FILE.json] [--db PATH] [--data DIR] [--force]

  --suite ID|FILE  whose tasks' source recipes to pre-train (default: quick)
  --db PATH        store that records the sources (default: ${DEFAULT_DB_PATH})
  --data DIR       cache root; checkpoints go to DIR/sources/<recipe hash>.safetensors
  --force          re-train even when a cached checkpoint exists

'rftbench run' pre-trains missing sources by itself; this command does it ahead of time.
Example: rftbench pretrain --suite quick`,
  async run(argv) {
    const { values } = parseFlags(argv, {
      suite: { type: 'string', default: 'quick' },
      db: { type: 'string', default: DEFAULT_DB_PATH },
      data: { type: 'string' },
      force: { type: 'boolean', default: false },
    });
    const suite = loadSuite(values.suite);
    const environment = describeEnvironment(await initBackend());
    const store = Store.open(values.db);
    try {
      const seen = new Set<string>();
      for (const task of suite.tasks) {
        const key = JSON.stringify(task.source);
        if (seen.has(key)) continue;
        seen.add(key);
        const h = await ensureSource(task.source, { store, environment, dataDir: values.data, force: values.force, log: (m) => console.error(m) });
        const metric = (name: string) => h.metadata.metrics.find((m) => m.name === name);
        const fmt = (name: string) => {
          const m = metric(name);
          return m ? `${(m.value * 100).toFixed(1)}% [${(m.ciLow * 100).toFixed(1)}, ${(m.ciHigh * 100).toFixed(1)}] on ${m.n}` : '-';
        };
        console.log(`${task.id}  source ${h.id}  clean ${fmt('clean')}  PGD ${fmt('pgd')}\n  ${h.path}`);
      }
      return 0;
    } finally {
      store.close();
    }
  },
};

export default command;
