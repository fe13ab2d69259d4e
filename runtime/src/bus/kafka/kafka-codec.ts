import type { IHeaders } from 'kafkajs';
import { BusHeader } from '../bus-message.js';
import { DeadLetterHeader, deadLetterStamp } from '../dead-letter-headers.js';
import type { DeadLetterReason } from '../event-bus.js';

/** Headers the Kafka bus adds next to the {@link BusHeader} ones. */
export const KafkaHeader = {
  /** Delivery number to the group, from 1; raised each time the handler fails. */
  attempt: 'eventsmith-attempt',
  /** Token of a message parked to keep its aggregate's order (see AggregateHolds). */
  hold: 'eventsmith-hold',
  /** Epoch milliseconds before which a retry-topic message must not be handled. */
  notBefore: 'eventsmith-not-before',
  /** The original message key, kept on dead letters (whose own key is the dead letter id). */
  key: 'eventsmith-key',
  deadReason: DeadLetterHeader.reason,
  deadError: DeadLetterHeader.error,
  deadAttempts: DeadLetterHeader.attempts,
  deadAt: DeadLetterHeader.at,
} as const;

/** Plain string headers from a Kafka message (the last value wins for repeated headers). */
export function kafkaHeaders(raw: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[key] = typeof last === 'string' ? last : last.toString('utf8');
  }
  return out;
}

/** Headers that travel with a message when it is moved (the bus's own and trace context). */
export function carriedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (
      key.startsWith('eventsmith-dead-') ||
      key === KafkaHeader.hold ||
      key === KafkaHeader.attempt ||
      key === KafkaHeader.notBefore
    )
      continue;
    if (key.startsWith('eventsmith-') || key === 'traceparent' || key === 'tracestate' || key === 'baggage')
      out[key] = value;
  }
  return out;
}

export function deadLetterHeaders(input: {
  reason: DeadLetterReason;
  error: string;
  attempts: number;
  headers: Readonly<Record<string, string>>;
  key: string | undefined;
  envelope: { eventId?: string; eventType?: string; aggregateType?: string; aggregateId?: string };
}): Record<string, string> {
  const out = carriedHeaders(input.headers);
  const fill = (header: string, value: string | undefined) => {
    if (out[header] === undefined && value !== undefined) out[header] = value;
  };
  fill(BusHeader.eventId, input.envelope.eventId);
  fill(BusHeader.eventType, input.envelope.eventType);
  fill(BusHeader.aggregateType, input.envelope.aggregateType);
  fill(BusHeader.aggregateId, input.envelope.aggregateId);
  fill(KafkaHeader.key, input.key);
  return { ...out, ...deadLetterStamp(input.reason, input.error, input.attempts) };
}
