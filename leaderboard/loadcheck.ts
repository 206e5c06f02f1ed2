/**
 * @module Load check: a bounded burst of GET requests against the leaderboard page on 127.0.0.1,
 * reporting latency percentiles and the error rate. It starts the server itself in a child process
 * (so client and server do not share one event loop), or uses `--url` (loopback addresses only).
 * It stops by itself: after `--requests` requests or `--max-seconds`, whichever comes first.
 *
 * Usage: npx tsx leaderboard/loadcheck.ts --db PATH [--requests 2000] [--concurrency 200]
 *          [--path /task/...] [--max-seconds 120] [--json]
 *        npx tsx leaderboard/loadcheck.ts --url http://127.0.0.1:8787 [same options]
 */
import { fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

const USAGE = `Usage: npx tsx leaderboard/loadcheck.ts --db PATH [--requests 2000] [--concurrency 200] [--path /task/...] [--max-seconds 120] [--json]
       npx tsx leaderboard/loadcheck.ts --url http://127.0.0.1:PORT [...]`;

export interface LoadResult {
  url: string;
  requests: number;
  concurrency: number;
  seconds: number;
  throughput: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  errorRate: number;
  statuses: Record<string, number>;
  stoppedEarly: boolean;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Sends `requests` GETs to `url` with at most `concurrency` in flight; stops at the deadline. */
export async function loadCheck(
  url: string,
  { requests, concurrency, maxSeconds }: { requests: number; concurrency: number; maxSeconds: number },
): Promise<LoadResult> {
  if (!LOOPBACK.has(new URL(url).hostname))
    throw new Error(`loadcheck: refusing ${url}: only loopback addresses (127.0.0.1, localhost, ::1)`);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  // node:http with keep-alive: a lighter client than fetch, so the numbers measure the server.
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const get = () =>
    new Promise<number>((resolve, reject) => {
      const req = request(url, { agent, timeout: 30_000 }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => resolve(bytes ? (res.statusCode ?? 0) : -1));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end();
    });
  async function worker() {
    while (issued < requests && performance.now() < deadline) {
      issued++;
      const t0 = performance.now();
      let status: string;
      try {
        const code = await get();
        status = code === -1 ? 'empty' : String(code);
        if (code !== 200) errors++;
      } catch (err) {
        status = (err as Error).message;
        errors++;
      }
      latencies.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - started) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    url,
    requests: latencies.length,
    concurrency,
    seconds,
    throughput: latencies.length / seconds,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    errors,
    errorRate: latencies.length ? errors / latencies.length : 0,
    statuses,
    stoppedEarly: latencies.length < requests,
  };
}

/** Child mode: serve the store and tell the parent where. */
async function serveOnly(db: string) {
  const { startServer } = await import('./server.ts');
  const server = await startServer({ dbPath: db, port: 0, hostname: '127.0.0.1' });
  process.send?.({ url: server.url });
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
}

/** Starts the server in a child process; resolves with its url and a stop function. */
function spawnServer(db: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve-only', '--db', db], {
    execArgv: process.execArgv.length ? process.execArgv : ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error('loadcheck: the server did not start within 60 s'));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`loadcheck: the server exited (code ${code}) before it was ready`));
    });
    child.once('message', (m) => {
      clearTimeout(timer);
      child.removeAllListeners('exit');
      resolve({
        url: (m as { url: string }).url,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: 'string' },
      url: { type: 'string' },
      path: { type: 'string' },
      requests: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '200' },
      'max-seconds': { type: 'string', default: '120' },
      json: { type: 'boolean', default: false },
      'serve-only': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values['serve-only']) {
    await serveOnly(values.db!);
    return -1;
  }
  const int = (v: string, name: string, max: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max)
      throw new Error(`--${name}: expected an integer in 1..${max}, got '${v}'`);
    return n;
  };
  const requests = int(values.requests!, 'requests', 1_000_000);
  const concurrency = int(values.concurrency!, 'concurrency', 2000);
  const maxSeconds = int(values['max-seconds']!, 'max-seconds', 3600);
  if (!values.db && !values.url) {
    console.error(USAGE);
    return 2;
  }
  const server = values.url
    ? { url: values.url.replace(/\/$/, ''), stop: async () => {} }
    : await spawnServer(values.db!);
  try {
    let path = values.path;
    if (!path) {
      const { tasks } = (await (await fetch(`${server.url}/api/tasks`)).json()) as {
        tasks: { taskId: string; tier: string }[];
      };
      if (!tasks.length) throw new Error('loadcheck: the store has no tasks; pass --path');
      path = `/task/${tasks[0].taskId.split('/').map(encodeURIComponent).join('/')}?tier=${tasks[0].tier}`;
    }
    const url = `${server.url}${path}`;
    // Warm-up: the first request loads the method registry; not counted.
    for (let i = 0; i < 5; i++) await (await fetch(url)).arrayBuffer();
    const r = await loadCheck(url, { requests, concurrency, maxSeconds });
    if (values.json) console.log(JSON.stringify(r));
    else {
      console.log(`GET ${r.url}`);
      console.log(
        `${r.requests} requests, concurrency ${r.concurrency}, ${r.seconds.toFixed(2)} s, ${r.throughput.toFixed(0)} req/s${r.stoppedEarly ? ' (stopped at --max-seconds)' : ''}`,
      );
      console.log(`latency p50 ${ms(r.p50)}, p90 ${ms(r.p90)}, p99 ${ms(r.p99)}, max ${ms(r.max)}`);
      console.log(`errors ${r.errors} (${(r.errorRate * 100).toFixed(2)}%); statuses ${JSON.stringify(r.statuses)}`);
    }
    return r.errors ? 1 : 0;
  } finally {
    await server.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => {
      if (code >= 0) process.exit(code);
    },
    (err: Error) => {
      console.error(err.message);
      process.exit(1);
    },
  );
}
