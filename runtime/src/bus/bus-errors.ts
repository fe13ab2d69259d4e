import { EventsmithError } from '../errors.js';

/** `replayDeadLetter` was given an id the group's dead-letter destination does not hold. */
export class DeadLetterNotFoundError extends EventsmithError {
  constructor(
    readonly group: string,
    readonly id: string,
  ) {
    super(
      'BUS.DEAD_LETTER_NOT_FOUND',
      `Dead letter "${id}" is not in the dead-letter destination of group "${group}". ` +
        `List the current ones with bus.deadLetters("${group}"); it may have been replayed already.`,
    );
  }
}

/** A bus was used after `close()`. */
export class BusClosedError extends EventsmithError {
  constructor(readonly bus: string) {
    super('BUS.CLOSED', `The ${bus} bus is closed. Create a new bus instead of reusing a closed one.`);
  }
}

/** A subscription or bus option is invalid. */
export class BusConfigurationError extends EventsmithError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super('BUS.CONFIGURATION', `Invalid bus option "${option}": ${message}`);
  }
}

/** The broker did not accept a publish (no confirm, connection lost, timeout). */
export class BusPublishError extends EventsmithError {
  constructor(
    readonly bus: string,
    readonly eventIds: readonly string[],
    options?: { cause?: unknown },
  ) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message.replace(/\.$/, '')}` : '';
    super(
      'BUS.PUBLISH_FAILED',
      `The ${bus} bus could not publish ${eventIds.length} event(s)${reason}. Nothing is known to be lost: ` +
        `publishing again is safe, because delivery is at-least-once and handlers deduplicate by eventId.`,
      options,
    );
  }
}

/** Why a broker could not be used (see {@link BusUnavailableError}). */
export type BusUnavailableReason =
  'unreachable' | 'authentication' | 'permission' | 'connection-closed' | 'virtual-host' | 'ssl';

const UNAVAILABLE_FIX: Readonly<Record<BusUnavailableReason, string>> = {
  unreachable:
    "Check that the broker is running and that the connection's host and port are right; the bus reconnects by itself once it is.",
  authentication: 'Check the user name and password in the connection settings.',
  permission: "Grant the bus's user the rights the bus needs (see the README's Buses section).",
  'connection-closed':
    'Pass the bus an open connection, and let it reconnect for ever (NATS: maxReconnectAttempts: -1).',
  'virtual-host':
    "Check that the URL's virtual host exists and that the user may use it (rabbitmqctl add_vhost, set_permissions).",
  ssl: 'Check TLS: a TLS URL (amqps://, rediss://) needs a server port that speaks TLS, with a certificate this process trusts.',
};

const UNAVAILABLE_WHAT: Readonly<Record<BusUnavailableReason, string>> = {
  unreachable: 'is unreachable',
  authentication: 'refused the login',
  permission: 'refused a command to the bus',
  'connection-closed': 'cannot be used: the connection the bus was given is closed',
  'virtual-host': 'refused the virtual host',
  ssl: 'failed the TLS handshake',
};

/**
 * The broker could not be used: it is unreachable, refused the login or a command, or the
 * connection the bus was given is closed. `target` names it without credentials; `reason` says
 * which, and the message how to fix it.
 */
export class BusUnavailableError extends EventsmithError {
  constructor(
    readonly bus: string,
    readonly target: string,
    readonly reason: BusUnavailableReason,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(
      'BUS.UNAVAILABLE',
      `${bus} at ${target} ${UNAVAILABLE_WHAT[reason]} (${detail}). ${UNAVAILABLE_FIX[reason]}`,
      options,
    );
  }
}
