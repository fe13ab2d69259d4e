import type { DomainEvent } from '../events/domain-event.js';
import type { EventRecord } from '../events/event-record.js';
import type { AggregateVersionStore } from './aggregate-version-store.js';

/**
 * Publishes events to other processes. Delivery is **at least once**: a consumer may see an
 * event more than once (after a crash, a reconnect or a retry), so handlers must be idempotent,
 * for example by remembering `event.eventId`.
 */
export interface EventPublisher {
  /**
   * Publishes a batch. Resolves once the broker has accepted every event (publisher confirms,
   * acks or equivalent); rejects if any could not be published.
   * Events of one aggregate keep their order within the batch and across batches.
   * An empty batch sends nothing. A batch that is not an array, or holds an element that is
   * neither an event nor a stored record, throws `InvalidArgumentError` before any of it is sent.
   */
  publish(events: readonly (DomainEvent | EventRecord)[]): Promise<void>;
}

/** A decoded message as a handler sees it. */
export interface BusDelivery {
  /** The event, upcast to its current version with the bus's registry. */
  readonly event: DomainEvent;
  /** How many times this message has been delivered to this group, from 1. */
  readonly attempt: number;
  /** Broker-specific headers (trace context included). */
  readonly headers: Readonly<Record<string, string>>;
}

export type BusHandler = (delivery: BusDelivery) => Promise<void> | void;

export interface SubscribeOptions {
  /**
   * The consumer group. Consumers in one group share its messages; every group receives every
   * message. The group name is part of broker resource names, so keep it to [A-Za-z0-9_.-].
   */
  readonly group: string;
  readonly eventTypes?: readonly string[];
  readonly aggregateTypes?: readonly string[];
  /** Deliveries before a message goes to the dead-letter destination. Default 5. */
  readonly maxAttempts?: number;
  /** Backoff before redelivery: base delay in ms, doubled each attempt, with ±20% jitter. Default 200. */
  readonly retryDelayMs?: number;
  /** Upper bound of one backoff delay, in ms. Default 60 000. */
  readonly maxRetryDelayMs?: number;
  /**
   * Opt-in guard for handlers that keep "last value wins" state. At-least-once delivery may hand
   * a handler an *older* event of an aggregate after a newer one was handled: a redelivery after
   * a broker restart or a lost acknowledgement (NATS, for example, can redeliver up to a batch of
   * such duplicates behind newer messages). A handler that overwrites state with the event's data
   * is then set back to older state. With a guard, the group skips (acknowledges without calling
   * the handler) any event whose `aggregateVersion` is at or below the highest version it has
   * handled for that aggregate (per tenant), and raises that mark after each handled event.
   *
   * The marks live in the store you pass: use a durable one (`SqlAggregateVersionStore`) so the
   * guard survives restarts. Only for aggregates whose events the group sees every version of in
   * order: with `eventTypes` filters, versions the group never receives are simply skipped over.
   * A store that fails counts as a failed attempt (retried, then dead-lettered).
   *
   * @example
   * ```ts
   * const versions = new SqlAggregateVersionStore(store.db);
   * await versions.migrate();
   * bus.subscribe(({ event }) => balances.set(event.aggregateId, event.data.balance), { group: 'balances', versionGuard: versions });
   * ```
   */
  readonly versionGuard?: AggregateVersionStore;
}

/** Why a message was dead-lettered. */
export type DeadLetterReason = 'handler-failed' | 'unknown-event-type' | 'undecodable';

/** A message in a bus's dead-letter destination. */
export interface DeadLetter {
  /** Broker-specific id, used to replay or delete it. */
  readonly id: string;
  readonly group: string;
  readonly reason: DeadLetterReason;
  readonly error: string;
  readonly attempts: number;
  /** The original payload, raw (it may not decode). */
  readonly payload: string;
  readonly eventType?: string | undefined;
  readonly eventId?: string | undefined;
  readonly aggregateType?: string | undefined;
  readonly aggregateId?: string | undefined;
  readonly deadLetteredAt: Date;
}

/** A running subscription. */
export interface BusSubscription {
  /** Begins consuming. */
  start(): Promise<void>;
  /** Stops taking new messages and waits (up to `timeoutMs`) for in-flight handlers to finish. */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * A broker-backed bus.
 *
 * @example
 * ```ts
 * const bus = new RedisEventBus({ redis: new Redis(), registry, stream: 'bank' });
 * const subscription = bus.subscribe(async ({ event }) => {
 *   if (await seen(event.eventId)) return; // at-least-once: deduplicate
 *   await project(event);
 * }, { group: 'reporting', eventTypes: ['MoneyDeposited'] });
 * await subscription.start();
 * await bus.publish([deposited]);
 * await subscription.stop(); // drains in-flight handlers
 * await bus.close();
 * ``` Each adapter (in-memory, Redis Streams, RabbitMQ, NATS JetStream, Kafka)
 * lives in its own folder, implements this port and passes the bus conformance suite.
 *
 * Guarantees every adapter keeps:
 * - at-least-once delivery;
 * - per-aggregate order within a consumer group (messages are partitioned or routed by aggregate id);
 * - a failing handler is retried with backoff without blocking other aggregates' messages;
 * - after `maxAttempts`, or for an unknown or undecodable message, the message is dead-lettered
 *   with a reason, never dropped;
 * - a message of a schema version newer than the consumer's registry knows (published by a newer
 *   release of the app during a rolling deploy) is never dead-lettered: it is redelivered with the
 *   group's backoff, past `maxAttempts`, until a consumer running the newer release handles it;
 * - W3C trace context travels in message headers.
 */
export interface EventBus extends EventPublisher {
  /**
   * Creates a subscription of `handler` to the group `options.group` (call `start()`).
   *
   * Delivery is at least once, so a handler must tolerate duplicates, and a duplicate may arrive
   * *after* newer events of its aggregate (a redelivery after a broker restart or a lost ack). A
   * handler that keeps "last value wins" state would be set back to older state: deduplicate by
   * version yourself or pass `versionGuard` (see {@link SubscribeOptions.versionGuard}).
   */
  subscribe(handler: BusHandler, options: SubscribeOptions): BusSubscription;
  /** Dead letters of a group, oldest first. */
  deadLetters(group: string, options?: { limit?: number }): Promise<DeadLetter[]>;
  /** Puts a dead letter back on the bus for its group and removes it from the dead-letter destination. */
  replayDeadLetter(group: string, id: string): Promise<void>;
  /** Stops every subscription and closes connections. */
  close(): Promise<void>;
}
