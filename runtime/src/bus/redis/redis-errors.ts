import type { Redis } from 'ioredis';
import { EventsmithError } from '../../errors.js';
import { BusUnavailableError } from '../bus-errors.js';

/** Where a client connects, without credentials: `host:port` or the socket path. */
export function redisTarget(client: Redis): string {
  const { host, port, path } = client.options;
  return path ? `redis+unix:${path}` : `redis://${host ?? 'localhost'}:${port ?? 6379}`;
}

/**
 * The typed error for a failure of a Redis command the bus made: a {@link BusUnavailableError}
 * when Redis could not be reached or refused the login or the command; anything else as it is.
 * `lastConnectionError` is the client's last connection error, which says more than ioredis's
 * "max retries per request" error about why commands fail.
 */
export function redisFailure(error: unknown, client: Redis, lastConnectionError: string | undefined): unknown {
  if (!(error instanceof Error) || error instanceof EventsmithError) return error;
  const message = error.message;
  const target = redisTarget(client);
  if (/^(WRONGPASS|NOAUTH)\b/.test(message))
    return new BusUnavailableError('Redis', target, 'authentication', message, { cause: error });
  if (/^NOPERM\b/.test(message))
    return new BusUnavailableError('Redis', target, 'permission', message, { cause: error });
  if (
    error.name === 'MaxRetriesPerRequestError' ||
    /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|EAI_AGAIN/.test(
      message,
    )
  ) {
    // A refused login shows up as a connection error, then as "max retries": say the first.
    const detail = lastConnectionError ?? message;
    const reason = /^(WRONGPASS|NOAUTH)\b/.test(detail) ? 'authentication' : 'unreachable';
    return new BusUnavailableError('Redis', target, reason, detail, { cause: error });
  }
  return error;
}
