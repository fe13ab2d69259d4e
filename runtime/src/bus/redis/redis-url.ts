import { BusConfigurationError } from '../bus-errors.js';

const FORM =
  'Write it as redis://[user:password@]host:port[/db] (rediss:// for TLS), e.g. redis://127.0.0.1:6379/0; ' +
  'for a Unix socket or other connection options, pass an ioredis client instead (new Redis({ path, … })).';

/**
 * Throws {@link BusConfigurationError} (option `redis`) unless `url` is a Redis URL the bus can
 * connect to: `redis:` or `rediss:`, a host, a port from 1 to 65535 if any, and a database number
 * if any. ioredis itself takes any text: a port that is not a number falls back to 6379, and
 * `http://host` becomes a Unix socket named `/` that is retried for ever. The message names the
 * URL without its password.
 *
 * @example
 * ```ts
 * checkRedisUrl('redis://:secret@cache.internal:6379/2'); // fine
 * checkRedisUrl('redis://cache.internal:notaport'); // throws BusConfigurationError
 * ```
 */
export function checkRedisUrl(url: string): void {
  const problem = redisUrlProblem(url);
  if (problem !== undefined) {
    throw new BusConfigurationError('redis', `${JSON.stringify(redactRedisUrl(url))} ${problem}. ${FORM}`);
  }
}

function redisUrlProblem(url: string): string | undefined {
  if (url.trim() === '') return 'is empty';
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return 'does not start with redis:// or rediss://';
  if (scheme !== 'redis' && scheme !== 'rediss') return `starts with ${scheme}:// instead of redis:// or rediss://`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const [, host, port] = /^[^:]+:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)(?::([^/?#]*))?/.exec(url) ?? [];
    if (host === '') return 'names no host';
    if (port !== undefined && !/^\d+$/.test(port)) return `has a port that is not a number (${JSON.stringify(port)})`;
    if (port !== undefined && Number(port) > 65_535) return `has a port out of range (${port}; ports are 1 to 65535)`;
    return 'is not a valid URL';
  }
  if (parsed.hostname === '') return 'names no host';
  if (parsed.port === '0') return 'has port 0 (ports are 1 to 65535)';
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db))
    return `has ${JSON.stringify(parsed.pathname)} as its path, not a database number`;
  return undefined;
}

/**
 * `url` without its password (`redis://user:***@host…`), for messages. Text that is not a URL is
 * cut before its last `@` the same way, so a password never shows.
 */
export function redactRedisUrl(url: string): string {
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  const slashes = url.indexOf('//');
  const start = slashes >= 0 && slashes < at ? slashes + 2 : 0;
  const userinfo = url.slice(start, at);
  const colon = userinfo.indexOf(':');
  // Without a colon the user info may be a password alone (older Redis URLs): hide it whole.
  const shown = colon < 0 ? '***' : `${userinfo.slice(0, colon)}:***`;
  return `${url.slice(0, start)}${shown}${url.slice(at)}`;
}
