/**
 * @module The proxy a request should go through, from HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case), as
 * curl and undici read them. Node's own http and fetch ignore these variables, which leaves cluster nodes
 * behind a proxy unable to download anything.
 */

type Env = Record<string, string | undefined>;

function firstSet(env: Env, ...names: string[]): string | undefined {
  for (const n of names) if (env[n]?.trim()) return env[n]!.trim();
  return undefined;
}

/** Whether NO_PROXY exempts `url`: `*`, exact hosts, domain suffixes (`example.com`, `.example.com`), `host:port`. */
export function bypassesProxy(url: URL, env: Env): boolean {
  const list = firstSet(env, 'NO_PROXY', 'no_proxy');
  if (!list) return false;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of list.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const m = /^(.*?)(?::(\d+))?$/.exec(entry.replace(/^\*\./, '.'))!;
    const [name, entryPort] = [m[1].replace(/^\[|\]$/g, ''), m[2]];
    if (entryPort && entryPort !== port) continue;
    const bare = name.replace(/^\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}

/** The proxy URL for `url`, or undefined for a direct connection. Throws naming the variable when it is not a URL. */
export function proxyFor(url: URL, env: Env = process.env): URL | undefined {
  if (bypassesProxy(url, env)) return undefined;
  const names =
    url.protocol === 'https:'
      ? ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy']
      : ['HTTP_PROXY', 'http_proxy'];
  const name = names.find((n) => env[n]?.trim());
  if (!name) return undefined;
  const value = env[name]!.trim();
  try {
    // `host:port` without a scheme is common in these variables; curl treats it as http.
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`);
  } catch {
    throw new Error(`${name}='${value}' is not a proxy URL (expected e.g. http://proxy.example:3128)`);
  }
}
