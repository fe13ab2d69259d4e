import type { ConfirmChannel, Options } from 'amqplib';
import { BusHeader } from '../bus-message.js';
import { DeadLetterHeader, deadLetterStamp } from '../dead-letter-headers.js';
import type { DeadLetterReason } from '../event-bus.js';

/** Headers the RabbitMQ bus adds next to the {@link BusHeader} ones. */
export const RabbitMqHeader = {
  /** Delivery number to the group, from 1; raised each time the handler fails. */
  attempt: 'eventsmith-attempt',
  /** Token of a message parked to keep its aggregate's order (see AggregateHolds). */
  hold: 'eventsmith-hold',
  deadReason: DeadLetterHeader.reason,
  deadError: DeadLetterHeader.error,
  deadAttempts: DeadLetterHeader.attempts,
  deadAt: DeadLetterHeader.at,
  deadGroup: 'eventsmith-dead-group',
} as const;

/** Headers that travel with a message when it is moved (the bus's own and trace context; no `x-death`). */
export function carriedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (key.startsWith('eventsmith-dead-') || key === RabbitMqHeader.hold || key === RabbitMqHeader.attempt) continue;
    if (key.startsWith('eventsmith-') || key === 'traceparent' || key === 'tracestate' || key === 'baggage')
      out[key] = value;
  }
  return out;
}

/** The aggregate key a message's headers name, if they name one. */
export function keyFromHeaders(headers: Readonly<Record<string, string>>): string | undefined {
  const type = headers[BusHeader.aggregateType];
  const id = headers[BusHeader.aggregateId];
  return type === undefined || id === undefined ? undefined : `${type}-${id}`;
}

export function messageProperties(
  headers: Record<string, string>,
  messageId: string | undefined,
  eventType: string | undefined,
): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    headers,
    ...(messageId === undefined ? {} : { messageId }),
    ...(eventType === undefined ? {} : { type: eventType }),
    timestamp: Math.floor(Date.now() / 1000),
  };
}

/**
 * Publishes on a confirm channel and resolves once the broker confirmed the message. Fails when
 * the channel closes first (with its connection, for example), so a confirm lost with the
 * connection never leaves the caller waiting.
 */
export function publishConfirmed(
  channel: ConfirmChannel,
  exchange: string,
  routingKey: string,
  body: Buffer,
  properties: Options.Publish,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const outstanding = outstandingConfirms(channel);
    const fail = (error: unknown) => {
      outstanding.delete(fail);
      reject(error);
    };
    outstanding.add(fail);
    try {
      channel.publish(exchange, routingKey, body, properties, (error: unknown) => {
        outstanding.delete(fail);
        if (error) reject(error);
        else resolve();
      });
    } catch (error) {
      fail(error);
    }
  });
}

/**
 * Confirms each channel still waits for. amqplib fails a closing channel's unconfirmed publishes
 * itself, but (0.10) stops at the first slot the broker already confirmed out of order, and the
 * publishes after it would wait for ever; so the bus fails them on `close` itself.
 */
const unconfirmed = new WeakMap<ConfirmChannel, Set<(error: unknown) => void>>();

function outstandingConfirms(channel: ConfirmChannel): Set<(error: unknown) => void> {
  let outstanding = unconfirmed.get(channel);
  if (outstanding === undefined) {
    const pending = new Set<(error: unknown) => void>();
    channel.once('close', () => {
      for (const fail of [...pending]) fail(new Error('channel closed before the broker confirmed the message'));
    });
    unconfirmed.set(channel, pending);
    outstanding = pending;
  }
  return outstanding;
}

export interface DeadLetterInput {
  readonly group: string;
  readonly id: string;
  readonly reason: DeadLetterReason;
  readonly error: string;
  readonly attempts: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Envelope fields read from the body, for messages whose headers lack them (foreign producers). */
  readonly envelope?: { eventId?: string; eventType?: string; aggregateType?: string; aggregateId?: string };
}

/** Headers of a message in a dead-letter queue. */
export function deadLetterHeaders(input: DeadLetterInput): Record<string, string> {
  const fromBody: Record<string, string> = {};
  const envelope = input.envelope ?? {};
  const fill = (header: string, value: string | undefined) => {
    if (input.headers[header] === undefined && value !== undefined) fromBody[header] = value;
  };
  fill(BusHeader.eventId, envelope.eventId);
  fill(BusHeader.eventType, envelope.eventType);
  fill(BusHeader.aggregateType, envelope.aggregateType);
  fill(BusHeader.aggregateId, envelope.aggregateId);
  return {
    ...carriedHeaders(input.headers),
    ...fromBody,
    ...deadLetterStamp(input.reason, input.error, input.attempts),
    [RabbitMqHeader.deadGroup]: input.group,
  };
}
