/** @module `rftbench serve`: the leaderboard site over a results store, on 127.0.0.1 by default. */
import type { Command } from '../command.ts';
import { intFlag, parseFlags } from '../command.ts';
import { DEFAULT_DB_PATH } from '../../../../results/store.ts';

const command: Command = {
  name: 'serve',
  summary: 'serve the leaderboard site (read-only) over a results store',
  usage: `Usage: rftbench serve [--db PATH] [--port 8787] [--host 127.0.0.1]

  --db PATH     results store to show (default: ${DEFAULT_DB_PATH})
  --port N      port (default 8787)
  --host ADDR   address to listen on (default 127.0.0.1)

Write endpoints (submissions) need RFTBENCH_TOKEN to be set.
Example: rftbench serve --db results/rftbench.db`,
  async run(argv) {
    const { values } = parseFlags(argv, {
      db: { type: 'string', default: DEFAULT_DB_PATH },
      port: { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
    });
    const { startServer } = await import('../../../../leaderboard/server.ts');
    const server = await startServer({
      dbPath: values.db,
      port: intFlag(values.port, '--port', 8787),
      hostname: values.host,
      token: process.env.RFTBENCH_TOKEN,
    });
    console.log(`leaderboard on ${server.url} (store ${values.db}); Ctrl-C stops it`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await server.close();
    return 0;
  },
};

export default command;
