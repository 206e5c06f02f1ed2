/**
 * An HTTP(S) server on 127.0.0.1 that serves one file and misbehaves on purpose, one scripted behaviour per
 * request (then `ok` for the rest): drops the connection mid-body, stalls, ignores Range, answers 404.
 */
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { Socket } from 'node:net';

export type Behaviour =
  /** Honours Range (as every behaviour but `ignore-range` does); sends the rest. */
  | { kind: 'ok' }
  /** Announces the rest, sends `bytes` of it, then closes the connection. */
  | { kind: 'drop'; bytes: number }
  /** Announces the rest, sends `bytes` of it, then nothing more (the client's idle timeout must fire). */
  | { kind: 'stall'; bytes: number }
  /** Answers 200 with the whole file whatever the Range header says. */
  | { kind: 'ignore-range' }
  | { kind: 'status'; status: number };

export interface Request {
  path: string;
  range?: string;
  /** The Host header: tells a forwarded request from a direct one. */
  host?: string;
}

export interface FlakyServer {
  url: string;
  requests: Request[];
  close(): Promise<void>;
}

export async function serveFlaky(
  path: string,
  body: Uint8Array,
  script: Behaviour[],
  tls?: { key: Buffer; cert: Buffer },
): Promise<FlakyServer> {
  const requests: Request[] = [];
  const sockets = new Set<Socket>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    requests.push({ path: req.url ?? '', range: req.headers.range, host: req.headers.host });
    if (req.url !== path) return void res.writeHead(404).end();
    const b = script.shift() ?? { kind: 'ok' };
    const whole = Buffer.from(body);
    if (b.kind === 'status') return void res.writeHead(b.status).end();
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m && b.kind !== 'ignore-range' ? Number(m[1]) : 0;
    if (m && b.kind !== 'ignore-range') {
      if (start >= whole.length) return void res.writeHead(416, { 'content-range': `bytes */${whole.length}` }).end();
      res.writeHead(206, {
        'content-length': String(whole.length - start),
        'content-range': `bytes ${start}-${whole.length - 1}/${whole.length}`,
      });
    } else {
      res.writeHead(200, { 'content-length': String(whole.length) });
    }
    if (b.kind === 'ok' || b.kind === 'ignore-range') return void res.end(whole.subarray(start));
    res.write(whole.subarray(start, start + b.bytes));
    if (b.kind === 'drop') setTimeout(() => res.destroy(), 10);
    // 'stall': nothing more is sent; close() ends the socket
  };
  const server: Server = tls ? createHttps(tls, handler) : createHttp(handler);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    requests,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}
