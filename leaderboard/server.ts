/**
 * @module startServer: the leaderboard on @hono/node-server over a results store file, opened
 * read-only (the harness may keep writing to it; the site sees new results on the next request). With a
 * token, a second, writable connection takes submissions (`POST /api/submit`).
 * Listens on 127.0.0.1 unless told otherwise. The process loads no tfjs and no method code: everything shown
 * comes from the store (test/leaderboard/site-imports.test.ts).
 *
 * @example
 * const { url, close } = await startServer({ dbPath: 'results/rftbench.db' });
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { Store } from '../results/store.ts';
import { createApp } from './app.tsx';

export interface ServerOptions {
  dbPath: string;
  /** Default 8787; 0 picks a free port (see the returned url). */
  port?: number;
  /** Default 127.0.0.1. */
  hostname?: string;
  /** Secret for the token-protected write endpoints. */
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startServer({
  dbPath,
  port = 8787,
  hostname = '127.0.0.1',
  token,
}: ServerOptions): Promise<RunningServer> {
  if (!existsSync(dbPath)) {
    throw new Error(
      `leaderboard: no results store at ${dbPath}; run a suite first (rftbench run --suite quick) or pass --db PATH`,
    );
  }
  const store = Store.open(dbPath, { readonly: true });
  // Submissions are the only writes; a server without a token never opens the store for writing.
  const writer = token ? Store.open(dbPath) : undefined;
  const app = createApp(store, { token, writeStore: writer });
  let server: Server;
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port, hostname }, (i) => resolve(i)) as Server;
    server.once('error', (err) => {
      store.close();
      writer?.close();
      reject(new Error(`leaderboard: cannot listen on ${hostname}:${port}: ${err.message}`));
    });
  });
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return {
    url: `http://${host}:${info.port}`,
    port: info.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => {
          store.close();
          writer?.close();
          if (err) reject(err);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
