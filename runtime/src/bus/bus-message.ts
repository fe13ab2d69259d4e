import { context, propagation, SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import { EventTypeNotFoundError, EventVersionTooNewError, InvalidArgumentError } from '../errors.js';
import { DomainEvent } from '../events/domain-event.js';
import { toEventRecord, type EventRecord } from '../events/event-record.js';
import type { EventRegistry } from '../events/event-registry.js';
import type { DeadLetterReason } from './event-bus.js';
import { describeValue } from '../store/store-input.js';
import { instruments, MetricAttributes } from '../telemetry/metrics.js';

/**
 * Header names every adapter writes next to the body, so consumers can route and filter
 * without parsing it. Trace context uses the W3C names (`traceparent`, `tracestate`).
 */
export const BusHeader = {
  eventId: 'eventsmith-event-id',
  eventType: 'eventsmith-event-type',
  eventVersion: 'eventsmith-event-version',
  aggregateType: 'eventsmith-aggregate-type',
  aggregateId: 'eventsmith-aggregate-id',
} as const;

/**
 * An event ready to go on the wire: its stored form as a JSON body (schema version included),
 * headers, and the key it is partitioned or routed by.
 */
export interface BusMessage {
  /** `"<aggregateType>-<aggregateId>"`: all events of one aggregate share it, which keeps their order. */
  readonly key: string;
  readonly record: EventRecord;
  /** `JSON.stringify(record)`. */
  readonly body: string;
  /** {@link BusHeader} fields plus the W3C trace context of the publishing code. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * Turns events (live `DomainEvent`s or stored `EventRecord`s, e.g. from an outbox) into bus
 * messages, injecting the active trace context into each message's headers.
 *
 * @example
 * ```ts
 * for (const m of toBusMessages(events)) await redis.xadd(stream, '*', 'body', m.body);
 * ```
 */
export function toBusMessages(events: readonly (DomainEvent | EventRecord)[]): BusMessage[] {
  const trace: Record<string, string> = {};
  propagation.inject(context.active(), trace);
  const traceEntries = Object.entries(trace);
  return events.map((event) => {
    const record = event instanceof DomainEvent ? toEventRecord(event) : event;
    // Literal names rather than a spread plus computed keys: several times cheaper per message.
    const headers: Record<string, string> = {
      'eventsmith-event-id': record.eventId,
      'eventsmith-event-type': record.eventType,
      'eventsmith-event-version': String(record.eventVersion),
      'eventsmith-aggregate-type': record.aggregateType,
      'eventsmith-aggregate-id': record.aggregateId,
    } satisfies Record<(typeof BusHeader)[keyof typeof BusHeader], string>;
    for (const [name, value] of traceEntries) headers[name] = value;
    return { key: messageKey(record.aggregateType, record.aggregateId), record, body: JSON.stringify(record), headers };
  });
}

/**
 * Checks the argument of `publish` before anything is sent, the same on every bus: an array whose
 * every element is an event built by a class made with `defineEvent`, or a stored
 * {@link EventRecord} (e.g. from an outbox). Throws {@link InvalidArgumentError} naming the first
 * element that is neither. Returns the number of events: an empty batch is valid and sends nothing.
 *
 * @example
 * ```ts
 * if (checkPublishBatch(events) === 0) return;
 * ```
 */
export function checkPublishBatch(events: readonly (DomainEvent | EventRecord)[]): number {
  if (!Array.isArray(events)) {
    throw new InvalidArgumentError(
      `publish: events must be an array of events, got ${describeValue(events)}. Pass the batch as an array, e.g. bus.publish([event]).`,
    );
  }
  for (let i = 0; i < events.length; i++) {
    const event: unknown = events[i];
    if (event instanceof DomainEvent) continue;
    const problem = recordProblem(event);
    if (problem === undefined) continue;
    throw new InvalidArgumentError(
      `publish: event ${i + 1} of the batch (index ${i}) is ${describeValue(event)}, not an event` +
        `${typeof event === 'object' && event !== null && !Array.isArray(event) ? ` (as an event record, ${problem})` : ''}; nothing was published. ` +
        `Publish instances of classes made by defineEvent, e.g. new MoneyDeposited({ amount: '5.00' }), ` +
        `or stored event records (toEventRecord(event), or records read from a store or an outbox).`,
    );
  }
  return events.length;
}

/**
 * Runs a publish inside a `eventsmith.bus.publish` producer span, handing `send` the messages with
 * that span's trace context in their headers, so consumer spans become its children, and counts
 * the events in `eventsmith.bus.published`. `attributes` are added to the span's (e.g. the
 * destination's name).
 *
 * @example
 * ```ts
 * await publishWithSpan('redis', events, async (messages) => { await pipelineXadd(messages); });
 * ```
 */
export function publishWithSpan(
  system: string,
  events: readonly (DomainEvent | EventRecord)[],
  send: (messages: BusMessage[]) => Promise<void>,
  attributes: Attributes = {},
): Promise<void> {
  return trace.getTracer('@eventsmith/runtime').startActiveSpan(
    'eventsmith.bus.publish',
    {
      kind: SpanKind.PRODUCER,
      attributes: { 'messaging.system': system, 'messaging.batch.message_count': events.length, ...attributes },
    },
    async (span) => {
      try {
        await send(toBusMessages(events));
        instruments().busPublished.add(events.length, { [MetricAttributes.system]: system });
      } catch (error) {
        span.recordException(error as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** The partition or routing key of an aggregate's messages. */
export function messageKey(aggregateType: string, aggregateId: string): string {
  return `${aggregateType}-${aggregateId}`;
}

/** The result of decoding a message body with a registry. */
export type DecodedMessage =
  | { readonly ok: true; readonly event: DomainEvent; readonly record: EventRecord }
  | {
      readonly ok: false;
      readonly reason: Exclude<DeadLetterReason, 'handler-failed'>;
      readonly error: string;
      readonly eventType?: string | undefined;
      /**
       * Set when the only problem is that the message's schema version is newer than the registry
       * knows: newer code published it (a rolling deploy). It is not broken; a consumer with the
       * newer event definition can handle it, so it is released for redelivery, not dead-lettered.
       */
      readonly newerVersion?: { readonly storedVersion: number; readonly knownVersion: number };
    };

/**
 * Parses a body and decodes it with the registry (resolving aliases, upcasting, validating).
 * Never throws: an unknown type or a body that does not parse or validate comes back with the
 * dead-letter reason and the error text; a schema version newer than the registry knows also sets
 * `newerVersion`. The returned `record` is the parsed body; the event
 * shares its (frozen) metadata and payload rather than copying them.
 */
export function decodeBusMessage(registry: EventRegistry, body: string | Uint8Array): DecodedMessage {
  let record: EventRecord;
  try {
    const text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
    record = parseRecord(JSON.parse(text));
  } catch (error) {
    return {
      ok: false,
      reason: 'undecodable',
      error: `Message body is not an event record: ${(error as Error).message}`,
    };
  }
  if (!registry.has(record.eventType)) {
    return {
      ok: false,
      reason: 'unknown-event-type',
      error: new EventTypeNotFoundError(record.eventType, registry.types).message,
      eventType: record.eventType,
    };
  }
  try {
    // The record was parsed here and nothing else holds it: the event may take its objects.
    return { ok: true, event: registry.decodeOwned(record), record };
  } catch (error) {
    const message = (error as Error).message;
    if (error instanceof EventVersionTooNewError) {
      const newerVersion = { storedVersion: error.storedVersion, knownVersion: error.currentVersion };
      return { ok: false, reason: 'undecodable', error: message, eventType: record.eventType, newerVersion };
    }
    return { ok: false, reason: 'undecodable', error: message, eventType: record.eventType };
  }
}

const STRING_FIELDS = ['eventId', 'eventType', 'aggregateId', 'aggregateType', 'occurredAt', 'correlationId'] as const;

/** Why `value` is not an event record (its required fields), or undefined when it is one. */
function recordProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object';
  const v = value as Record<string, unknown>;
  for (const field of STRING_FIELDS) {
    if (typeof v[field] !== 'string') return `field "${field}" must be a string`;
  }
  for (const field of ['eventVersion', 'aggregateVersion'] as const) {
    if (!Number.isInteger(v[field])) return `field "${field}" must be an integer`;
  }
  if (!('data' in v)) return 'field "data" is missing';
  return undefined;
}

function parseRecord(value: unknown): EventRecord {
  const problem = recordProblem(value);
  if (problem !== undefined) throw new Error(problem);
  const v = value as Record<string, unknown>;
  // Freshly parsed and ours: fill in the optional fields in place rather than copy the record.
  v['tenantId'] ??= null;
  v['actorId'] ??= null;
  v['causationId'] ??= null;
  v['metadata'] ??= {};
  return v as unknown as EventRecord;
}

/** The envelope fields of a body, as far as it parses; for dead letters of messages that may not decode. */
export function peekEnvelope(body: string | Uint8Array): {
  eventId?: string;
  eventType?: string;
  aggregateType?: string;
  aggregateId?: string;
} {
  try {
    const value: unknown = JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body));
    if (typeof value !== 'object' || value === null) return {};
    const v = value as Record<string, unknown>;
    const text = (key: string) => (typeof v[key] === 'string' ? (v[key] as string) : undefined);
    const out: ReturnType<typeof peekEnvelope> = {};
    for (const key of ['eventId', 'eventType', 'aggregateType', 'aggregateId'] as const) {
      const found = text(key);
      if (found !== undefined) out[key] = found;
    }
    return out;
  } catch {
    return {};
  }
}
