import { BusHeader } from './bus-message.js';
import type { DeadLetter, DeadLetterReason } from './event-bus.js';

/**
 * Headers that describe a dead letter on the buses that keep one as a broker message with headers (Kafka,
 * RabbitMQ). The message keeps its body and the {@link BusHeader} ones.
 */
export const DeadLetterHeader = {
  reason: 'eventsmith-dead-reason',
  error: 'eventsmith-dead-error',
  attempts: 'eventsmith-dead-attempts',
  at: 'eventsmith-dead-at',
} as const;

/** Longest error text kept in a dead letter's headers (brokers limit the size of a message's headers). */
const MAX_ERROR_LENGTH = 8_000;

const REASONS: readonly DeadLetterReason[] = ['handler-failed', 'unknown-event-type', 'undecodable'];

/** The {@link DeadLetterHeader}s of a message being dead-lettered now; the error text is cut to 8,000 characters. */
export function deadLetterStamp(reason: DeadLetterReason, error: string, attempts: number): Record<string, string> {
  return {
    [DeadLetterHeader.reason]: reason,
    [DeadLetterHeader.error]: error.length > MAX_ERROR_LENGTH ? `${error.slice(0, MAX_ERROR_LENGTH)}…` : error,
    [DeadLetterHeader.attempts]: String(attempts),
    [DeadLetterHeader.at]: new Date().toISOString(),
  };
}

/**
 * Reads a dead letter back from a message in a dead-letter destination. Headers a foreign producer or an older
 * version left out read as: reason `undecodable`, error `''`, one attempt, dead-lettered at the epoch.
 */
export function decodeDeadLetter(
  group: string,
  id: string,
  headers: Readonly<Record<string, string>>,
  body: Buffer,
): DeadLetter {
  const reason = headers[DeadLetterHeader.reason] as DeadLetterReason | undefined;
  const at = headers[DeadLetterHeader.at];
  return {
    id,
    group,
    reason: reason !== undefined && REASONS.includes(reason) ? reason : 'undecodable',
    error: headers[DeadLetterHeader.error] ?? '',
    attempts: Number(headers[DeadLetterHeader.attempts] ?? 1),
    payload: body.toString('utf8'),
    eventType: headers[BusHeader.eventType],
    eventId: headers[BusHeader.eventId],
    aggregateType: headers[BusHeader.aggregateType],
    aggregateId: headers[BusHeader.aggregateId],
    deadLetteredAt: at === undefined ? new Date(0) : new Date(at),
  };
}
