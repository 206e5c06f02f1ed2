/**
 * Downloads that finish, against real servers on 127.0.0.1: dropped and stalled connections resume with
 * Range, a server that ignores Range restarts from zero, a bad checksum deletes the partial file, a 404 fails
 * at once naming the URL, and the proxy variables are honoured (forward and CONNECT).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  backoffDelayMs,
  ChecksumError,
  digest,
  downloadToFile,
  downloadVerified,
  type DownloadOptions,
} from '../../datasets/download.ts';
import { bypassesProxy, proxyFor } from '../../datasets/proxy-env.ts';
import { serveFlaky, type FlakyServer } from '../support/flaky-server.ts';
import { serveProxy } from '../support/proxy-server.ts';

const tlsDir = fileURLToPath(new URL('../support/tls/', import.meta.url));
const body = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
const sha = { algorithm: 'sha256' as const, hex: digest(body, 'sha256') };
/** Fast retries, short timeouts and no proxy from the machine's environment. */
const fast: DownloadOptions = { retryDelayMs: () => 5, idleTimeoutMs: 300, connectTimeoutMs: 2000, env: {} };

let dir = '';
let server: FlakyServer | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rftbench-dl-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const expectOnlyDest = (dest: string) => expect(readdirSync(dir)).toEqual([dest.split('/').pop()]);

describe('downloadToFile', () => {
  it('resumes a dropped connection with a Range request and verifies the whole file', async () => {
    server = await serveFlaky('/f.bin', body, [{ kind: 'drop', bytes: 70_000 }]);
    const dest = join(dir, 'f.bin');
    const lines: string[] = [];
    await downloadToFile(`${server.url}/f.bin`, dest, sha, { ...fast, log: (l) => lines.push(l) });
    expect(readFileSync(dest).equals(Buffer.from(body))).toBe(true);
    expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=70000-']);
    expect(lines.join('\n')).toMatch(/retry 1 of 6/);
    expect(lines.join('\n')).toMatch(/resuming at 70\.0 kB/);
    expectOnlyDest(dest);
  });

  it('aborts a stalled transfer after the idle timeout and resumes it', async () => {
    server = await serveFlaky('/f.bin', body, [{ kind: 'stall', bytes: 50_000 }]);
    const dest = join(dir, 'f.bin');
    const lines: string[] = [];
    const t0 = Date.now();
    await downloadToFile(`${server.url}/f.bin`, dest, sha, { ...fast, log: (l) => lines.push(l) });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
    expect(lines.join('\n')).toMatch(/no data from 127\.0\.0\.1:\d+ for 0\.3 s/);
    expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=50000-']);
    expect(readFileSync(dest).equals(Buffer.from(body))).toBe(true);
  });

  it('restarts from zero when the server answers a Range request with 200, and still verifies', async () => {
    server = await serveFlaky('/f.bin', body, [{ kind: 'drop', bytes: 90_000 }, { kind: 'ignore-range' }]);
    const dest = join(dir, 'f.bin');
    const lines: string[] = [];
    await downloadToFile(`${server.url}/f.bin`, dest, sha, { ...fast, log: (l) => lines.push(l) });
    expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=90000-']);
    expect(lines.join('\n')).toMatch(/ignored the Range request; downloading from the start/);
    expect(readFileSync(dest).equals(Buffer.from(body))).toBe(true);
    expectOnlyDest(dest);
  });

  it('completes a download interrupted three times (drop, stall, drop), each attempt resuming where the last stopped', async () => {
    server = await serveFlaky('/f.bin', body, [
      { kind: 'drop', bytes: 30_000 },
      { kind: 'stall', bytes: 40_000 },
      { kind: 'drop', bytes: 50_000 },
    ]);
    const dest = join(dir, 'f.bin');
    await downloadToFile(`${server.url}/f.bin`, dest, sha, fast);
    expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=30000-', 'bytes=70000-', 'bytes=120000-']);
    expect(readFileSync(dest).equals(Buffer.from(body))).toBe(true);
    expectOnlyDest(dest);
  });

  it('resumes a partial file left by an earlier process', async () => {
    server = await serveFlaky('/f.bin', body, []);
    const dest = join(dir, 'f.bin');
    writeFileSync(`${dest}.partial`, body.subarray(0, 123_456));
    await downloadToFile(`${server.url}/f.bin`, dest, sha, fast);
    expect(server.requests.map((r) => r.range)).toEqual(['bytes=123456-']);
    expect(readFileSync(dest).equals(Buffer.from(body))).toBe(true);
    // A partial file that is already whole: the server says 416 with the size, and the file is verified.
    rmSync(dest);
    writeFileSync(`${dest}.partial`, body);
    await downloadToFile(`${server.url}/f.bin`, dest, sha, fast);
    expect(readFileSync(dest).equals(Buffer.from(body))).toBe(true);
  });

  it('a checksum mismatch deletes the partial file and fails naming the URL; no retry can help it', async () => {
    const other = body.map((b) => b ^ 1);
    server = await serveFlaky('/f.bin', other, [{ kind: 'drop', bytes: 10_000 }]);
    const dest = join(dir, 'f.bin');
    const err = await downloadToFile(`${server.url}/f.bin`, dest, sha, fast).catch((e: Error) => e);
    expect(err).toBeInstanceOf(ChecksumError);
    expect((err as Error).message).toContain(
      `download ${server.url}/f.bin: sha256 is ${digest(other, 'sha256')}, expected ${sha.hex}`,
    );
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a 404 fails at once, naming the URL', async () => {
    server = await serveFlaky('/f.bin', body, []);
    const url = `${server.url}/nope.bin`;
    await expect(downloadToFile(url, join(dir, 'nope.bin'), sha, fast)).rejects.toThrow(
      `download ${url}: HTTP 404 Not Found`,
    );
    expect(server.requests).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('gives up after the retries, keeps the partial file for the next call, which resumes it', async () => {
    server = await serveFlaky('/f.bin', body, [
      { kind: 'drop', bytes: 20_000 },
      { kind: 'drop', bytes: 20_000 },
      { kind: 'status', status: 503 },
    ]);
    const url = `${server.url}/f.bin`;
    const dest = join(dir, 'f.bin');
    await expect(downloadToFile(url, dest, sha, { ...fast, retries: 2 })).rejects.toThrow(
      new RegExp(
        `^download ${url}: HTTP 503 Service Unavailable \\(gave up after 3 attempts; 40\\.0 kB kept in ${dest}\\.partial`,
      ),
    );
    expect(readdirSync(dir)).toEqual(['f.bin.partial']);
    await downloadToFile(url, dest, sha, fast);
    expect(server.requests.map((r) => r.range).at(-1)).toBe('bytes=40000-');
    expect(readFileSync(dest).equals(Buffer.from(body))).toBe(true);
  });

  it('reports progress as plain lines with bytes, rate and ETA', async () => {
    server = await serveFlaky('/f.bin', body, []);
    const lines: string[] = [];
    await downloadToFile(`${server.url}/f.bin`, join(dir, 'f.bin'), sha, {
      ...fast,
      progressIntervalMs: 0,
      log: (l) => lines.push(l),
    });
    expect(lines.some((l) => /f\.bin: [\d.]+ kB of 200\.0 kB \(\d+%\), [\d.]+ [kMG]?B\/s, ETA \d+s$/.test(l))).toBe(
      true,
    );
    expect(lines.at(-1)).toMatch(/f\.bin: 200\.0 kB in \d+s$/);
  });

  it('two concurrent calls for one file download it once (a lock beside the partial file)', async () => {
    server = await serveFlaky('/f.bin', body, [{ kind: 'stall', bytes: 1000 }]);
    const dest = join(dir, 'f.bin');
    const url = `${server.url}/f.bin`;
    await Promise.all([downloadToFile(url, dest, sha, fast), downloadToFile(url, dest, sha, fast)]);
    expect(server.requests).toHaveLength(2); // the stalled attempt and its resumption, by the first call only
    expectOnlyDest(dest);
  });

  it('downloadVerified returns the bytes and checks the decompressed checksum when asked', async () => {
    server = await serveFlaky('/f.bin', body, [{ kind: 'drop', bytes: 5000 }]);
    const bytes = await downloadVerified(
      `${server.url}/f.bin`,
      join(dir, 'f.bin'),
      { algorithm: 'md5', hex: digest(body.subarray(1), 'md5'), ofDecompressed: true },
      {
        ...fast,
        decompress: (b) => b.subarray(1),
      },
    );
    expect(Buffer.from(bytes).equals(Buffer.from(body))).toBe(true);
  });
});

describe('proxies', () => {
  it('sends plain-http downloads through HTTP_PROXY unless NO_PROXY exempts the host', async () => {
    server = await serveFlaky('/f.bin', body, [{ kind: 'drop', bytes: 60_000 }]);
    const proxy = await serveProxy();
    try {
      const url = `${server.url}/f.bin`;
      await downloadToFile(url, join(dir, 'a.bin'), sha, { ...fast, env: { HTTP_PROXY: proxy.url } });
      expect(proxy.seen).toEqual([`GET ${url}`, `GET ${url}`]);
      expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=60000-']);
      await downloadToFile(url, join(dir, 'b.bin'), sha, {
        ...fast,
        env: { http_proxy: proxy.url, no_proxy: 'example.com, 127.0.0.1' },
      });
      expect(proxy.seen).toHaveLength(2);
    } finally {
      await proxy.close();
    }
  });

  it('tunnels https downloads through HTTPS_PROXY with CONNECT', async () => {
    const tls = { key: readFileSync(join(tlsDir, 'localhost.key')), cert: readFileSync(join(tlsDir, 'localhost.crt')) };
    server = await serveFlaky('/f.bin', body, [{ kind: 'drop', bytes: 80_000 }], tls);
    const proxy = await serveProxy();
    try {
      const dest = join(dir, 'f.bin');
      await downloadToFile(`${server.url}/f.bin`, dest, sha, {
        ...fast,
        ca: tls.cert,
        env: { HTTPS_PROXY: proxy.url },
      });
      const authority = server.url.replace('https://', '');
      expect(proxy.seen).toEqual([`CONNECT ${authority}`, `CONNECT ${authority}`]);
      expect(server.requests.map((r) => r.range)).toEqual([undefined, 'bytes=80000-']);
      expect(readFileSync(dest).equals(Buffer.from(body))).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('a proxy that never answers CONNECT hits the connect timeout', async () => {
    const held: Socket[] = [];
    const silent: Server = createServer((s) => void held.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const proxyUrl = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
      await expect(
        downloadToFile('https://example.invalid/f.bin', join(dir, 'f.bin'), sha, {
          ...fast,
          connectTimeoutMs: 200,
          retries: 1,
          env: { HTTPS_PROXY: proxyUrl },
        }),
      ).rejects.toThrow(
        /^download https:\/\/example\.invalid\/f\.bin: .*no tunnel through proxy 127\.0\.0\.1:\d+ within 0\.2 s/,
      );
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('reads the proxy variables as curl does', () => {
    const u = (s: string) => new URL(s);
    expect(proxyFor(u('https://a.org/x'), { HTTP_PROXY: 'proxy:3128' })?.href).toBe('http://proxy:3128/');
    expect(proxyFor(u('https://a.org/x'), { HTTPS_PROXY: 'http://s:1', HTTP_PROXY: 'http://p:2' })?.host).toBe('s:1');
    expect(proxyFor(u('http://a.org/x'), { HTTPS_PROXY: 'http://s:1' })).toBeUndefined();
    expect(bypassesProxy(u('https://data.a.org/x'), { NO_PROXY: '.a.org' })).toBe(true);
    expect(bypassesProxy(u('https://data.a.org/x'), { NO_PROXY: 'a.org' })).toBe(true);
    expect(bypassesProxy(u('https://nota.org/x'), { NO_PROXY: 'a.org' })).toBe(false);
    expect(bypassesProxy(u('http://h:8080/x'), { NO_PROXY: 'h:9090' })).toBe(false);
    expect(bypassesProxy(u('http://h:8080/x'), { no_proxy: 'h:8080' })).toBe(true);
    expect(bypassesProxy(u('http://anything/x'), { NO_PROXY: '*' })).toBe(true);
    expect(() => proxyFor(u('http://a.org/'), { HTTP_PROXY: 'http://[bad' })).toThrow(
      /HTTP_PROXY='http:\/\/\[bad' is not a proxy URL/,
    );
  });

  it('backs off exponentially on a fixed jitter schedule, capped', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8].map((a) => backoffDelayMs(a));
    expect(delays).toEqual([1000, 1600, 4800, 7200, 17600, 27200, 60000, 60000]);
  });
});
