/**
 * @module requireToken: the guard for the site's future write endpoints (submissions). Without the
 * configured token, as `Authorization: Bearer <token>`, a request gets 401 and a JSON reason. A server
 * started without a token has every guarded route closed.
 *
 * @example
 * app.post('/api/submit', requireToken(process.env.RFTBENCH_TOKEN), handler);
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * @param token the configured secret; undefined or empty closes the guarded routes.
 */
export const requireToken = (token: string | undefined): MiddlewareHandler => {
  const expected = token ? digest(token) : undefined;
  return async function requireToken(c, next) {
    const challenge = { 'WWW-Authenticate': 'Bearer realm="rftbench"' };
    if (!expected) {
      return c.json(
        { error: 'write endpoints are disabled: the server was started without a token (set RFTBENCH_TOKEN)' },
        401,
        challenge,
      );
    }
    const header = c.req.header('authorization') ?? '';
    const m = /^Bearer\s+(.+)$/i.exec(header);
    // Compare digests so the comparison takes the same time whatever the given token's length.
    if (!m || !timingSafeEqual(digest(m[1].trim()), expected)) {
      return c.json({ error: 'missing or wrong bearer token' }, 401, challenge);
    }
    await next();
  };
};
