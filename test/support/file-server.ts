/** An in-process HTTP server on 127.0.0.1 serving fixed bytes per path, for the real download path. */
import { createServer, type Server } from 'node:http';

export interface FileServer {
  url: string;
  /** Paths requested so far. */
  requests: string[];
  close(): Promise<void>;
}

export async function serveFiles(files: Record<string, Uint8Array>): Promise<FileServer> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = files[req.url ?? ''];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-length': String(body.length) });
    res.end(Buffer.from(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}
