/**
 * @module One HTTP(S) GET with the controls a long download needs and fetch lacks: a connect timeout, an
 * idle timeout (no byte for N seconds, while waiting for headers or mid-body), the proxy from the
 * environment (a forward request for http://, a CONNECT tunnel for https://) and redirects followed.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { proxyFor } from './proxy-env.ts';

export interface HttpGetOptions {
  headers?: Record<string, string>;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  /** Where HTTPS_PROXY / HTTP_PROXY / NO_PROXY are read (default process.env). */
  env?: Record<string, string | undefined>;
  /** Extra trusted CA certificates (PEM): a private mirror's, or a test server's. */
  ca?: string | Buffer;
  maxRedirects?: number;
}

export interface HttpResponse {
  /** The URL that answered (after redirects). */
  url: URL;
  status: number;
  statusText: string;
  headers: IncomingHttpHeaders;
  body: IncomingMessage;
}

const seconds = (ms: number) => `${+(ms / 1000).toFixed(3)} s`;

function proxyAuthorization(proxy: URL): Record<string, string> {
  if (!proxy.username) return {};
  const user = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  return { 'proxy-authorization': `Basic ${Buffer.from(user).toString('base64')}` };
}

const defaultPort = (u: URL) => Number(u.port || (u.protocol === 'https:' ? 443 : 80));

/** A TCP tunnel to `target` through `proxy` (HTTP CONNECT). */
function connectTunnel(proxy: URL, target: URL, opts: HttpGetOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const mod = proxy.protocol === 'https:' ? https : http;
    const authority = `${target.hostname}:${defaultPort(target)}`;
    const req = mod.request({
      method: 'CONNECT',
      host: proxy.hostname,
      port: defaultPort(proxy),
      path: authority,
      headers: { host: authority, ...proxyAuthorization(proxy) },
      agent: false,
      ca: opts.ca,
    });
    const timeout = () =>
      req.destroy(new Error(`no tunnel through proxy ${proxy.host} within ${seconds(opts.connectTimeoutMs)}`));
    const timer = setTimeout(timeout, opts.connectTimeoutMs);
    req.once('connect', (res, socket) => {
      clearTimeout(timer);
      if (res.statusCode === 200) return resolve(socket);
      socket.destroy();
      reject(
        new Error(
          `proxy ${proxy.host} refused CONNECT ${authority}: HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim(),
        ),
      );
    });
    req.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`proxy ${proxy.host}: ${err.message}`));
    });
    req.end();
  });
}

/** One request, no redirects: resolves with the response once its headers arrive. */
async function getOnce(url: URL, opts: HttpGetOptions): Promise<IncomingMessage> {
  const proxy = proxyFor(url, opts.env ?? process.env);
  const headers = { 'user-agent': 'rftbench', ...opts.headers };
  let req: http.ClientRequest;
  let connected = false;
  if (proxy && url.protocol === 'https:') {
    const tunnel = await connectTunnel(proxy, url, opts);
    const secure = tls.connect({ socket: tunnel, servername: url.hostname, ca: opts.ca });
    connected = true; // the tunnel is up; the idle timeout covers the TLS handshake
    // No `agent` here: an agent (even `agent: false`) would open its own connection and bypass the tunnel.
    req = https.request(url, { headers, createConnection: () => secure });
  } else if (proxy) {
    // A plain-http request through a forward proxy: the absolute URL as the request target.
    const mod = proxy.protocol === 'https:' ? https : http;
    req = mod.request({
      host: proxy.hostname,
      port: defaultPort(proxy),
      path: url.href,
      headers: { ...headers, host: url.host, ...proxyAuthorization(proxy) },
      agent: false,
      ca: opts.ca,
    });
  } else {
    req = (url.protocol === 'https:' ? https : http).request(url, { headers, agent: false, ca: opts.ca });
  }
  return new Promise((resolve, reject) => {
    const via = proxy ? ` through proxy ${proxy.host}` : '';
    const timeout = () =>
      req.destroy(new Error(`could not connect to ${url.host}${via} within ${seconds(opts.connectTimeoutMs)}`));
    const timer = connected ? undefined : setTimeout(timeout, opts.connectTimeoutMs);
    req.once('socket', (socket: Socket) => {
      if (!socket.connecting) clearTimeout(timer);
      else socket.once('connect', () => clearTimeout(timer));
    });
    let response: IncomingMessage | undefined;
    // Socket inactivity, while waiting for the headers and later between body chunks. Once the body flows,
    // the error goes to the response, whose reader would otherwise see only "aborted".
    req.setTimeout(opts.idleTimeoutMs, () => {
      const err = new Error(`no data from ${url.host} for ${seconds(opts.idleTimeoutMs)}`);
      if (response) response.destroy(err);
      req.destroy(err);
    });
    req.once('response', (res) => {
      clearTimeout(timer);
      response = res;
      resolve(res);
    });
    req.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

/** GET `url`, following up to `maxRedirects` redirects (with the same headers, e.g. Range). */
export async function httpGet(url: string | URL, opts: HttpGetOptions): Promise<HttpResponse> {
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    if (current.protocol !== 'http:' && current.protocol !== 'https:') {
      throw new Error(`${current.href}: only http and https URLs can be downloaded`);
    }
    const res = await getOnce(current, opts);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if ([301, 302, 303, 307, 308].includes(status) && location) {
      res.resume();
      if (hop >= (opts.maxRedirects ?? 10)) throw new Error(`${url}: more than ${opts.maxRedirects ?? 10} redirects`);
      current = new URL(location, current);
      continue;
    }
    return { url: current, status, statusText: res.statusMessage ?? '', headers: res.headers, body: res };
  }
}
