import type { NatsConnection } from 'nats';
import { EventsmithError } from '../../errors.js';
import { BusUnavailableError, type BusUnavailableReason } from '../bus-errors.js';

/** NATS error codes, by the reason they give a {@link BusUnavailableError}. */
const REASONS: Readonly<Record<string, BusUnavailableReason>> = {
  CONNECTION_CLOSED: 'connection-closed',
  CONNECTION_DRAINING: 'connection-closed',
  AUTHORIZATION_VIOLATION: 'authentication',
  AUTHENTICATION_EXPIRED: 'authentication',
  PERMISSIONS_VIOLATION: 'permission',
  TIMEOUT: 'unreachable',
  CONNECTION_REFUSED: 'unreachable',
  DISCONNECT: 'unreachable',
};

/**
 * The typed error for a failed NATS call the bus made: a {@link BusUnavailableError} when the
 * connection is closed or the server is unreachable or refuses; anything else as it is.
 */
export function natsFailure(error: unknown, nc: NatsConnection): unknown {
  if (!(error instanceof Error) || error instanceof EventsmithError) return error;
  const code = (error as { code?: unknown }).code;
  const reason = nc.isClosed() ? 'connection-closed' : typeof code === 'string' ? REASONS[code] : undefined;
  if (reason === undefined) return error;
  return new BusUnavailableError('NATS', natsTarget(nc), reason, error.message, { cause: error });
}

/** The server the connection uses (or last used), without credentials. */
function natsTarget(nc: NatsConnection): string {
  const server = nc.getServer();
  return server ? `nats://${server.replace(/^[a-z]+:\/\//, '').replace(/^[^@/]*@/, '')}` : 'the NATS server';
}
