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
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(
      'BUS.PUBLISH_FAILED',
      `The ${bus} bus could not publish ${eventIds.length} event(s)${reason}. Nothing is known to be lost: ` +
        `publishing again is safe, because delivery is at-least-once and handlers deduplicate by eventId.`,
      options,
    );
  }
}
