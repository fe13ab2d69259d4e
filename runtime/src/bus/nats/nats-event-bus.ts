import type { JetStreamClient, JetStreamManager, KV, MsgHdrs, NatsConnection } from 'nats';
import type { DomainEvent } from '../../events/domain-event.js';
import type { EventRecord } from '../../events/event-record.js';
import type { EventRegistry } from '../../events/event-registry.js';
import { BusClosedError, BusConfigurationError, BusPublishError, DeadLetterNotFoundError } from '../bus-errors.js';
import { BusHeader, checkPublishBatch, publishWithSpan } from '../bus-message.js';
import { checkGroup, resolveSubscribeOptions } from '../deliver.js';
import type { BusHandler, BusSubscription, DeadLetter, EventBus, SubscribeOptions } from '../event-bus.js';
import { partitionOf } from '../partitioning.js';
import { nats } from './nats-driver.js';
import { natsFailure } from './nats-errors.js';
import { NatsNames } from './nats-names.js';
import type { NatsDeadLetterBody } from './nats-partition-worker.js';
import { NatsPublisher } from './nats-publisher.js';
import { NatsSubscription } from './nats-subscription.js';

const { headers: natsHeaders, MsgHdrsImpl, nanos, RetentionPolicy, StorageType } = nats;
const validHeaderValue = (value: string) => MsgHdrsImpl.validHeaderValue(value);

export interface NatsEventBusOptions {
  /** A connection; the bus leaves it open on `close()`. Use `maxReconnectAttempts: -1` so it never gives up. */
  readonly connection: NatsConnection;
  /** Decodes and upcasts messages for handlers; use the same registry as the store. */
  readonly registry: EventRegistry;
  /** The JetStream stream, one per domain, e.g. `"BANK"` ([A-Za-z0-9_-]). Default `"EVENTSMITH"`. */
  readonly stream?: string;
  /** Partitions per domain; each group consumes each with one member at a time. Every publisher and consumer must agree. Default 16. */
  readonly partitions?: number;
  /** Stream retention: maximum age and/or message count. Default 7 days, no count limit. */
  readonly retention?: { readonly maxAgeMs?: number; readonly maxMessages?: number };
  /** Where a new group starts. Default `'oldest'`. */
  readonly startFrom?: 'oldest' | 'latest';
  /** Handlers one subscription runs at once (on different aggregates). Default 32. */
  readonly concurrency?: number;
  /** Unacknowledged deliveries are redelivered after this (in-flight ones are kept alive with `working()`). Default 30 000 ms. */
  readonly ackWaitMs?: number;
  /** Partition lease TTL. Default 10 000 ms. */
  readonly leaseTtlMs?: number;
  /** How often members heartbeat and rebalance. Default leaseTtlMs / 4. */
  readonly balanceIntervalMs?: number;
  /** Errors the bus recovers from by itself. Default `console.warn`. */
  readonly onError?: (error: unknown) => void;
}

/**
 * An {@link EventBus} on NATS JetStream (server ≥ 2.9).
 *
 * - One stream per domain; subjects carry the partition and the aggregate:
 *   `S.events.<partition>.all.<aggregateType>.<aggregateId>`. Publishes set `Nats-Msg-Id` to the
 *   event id, so a retried publish is deduplicated within the stream's duplicate window.
 * - Each group has one durable pull consumer per partition (explicit ack); its members split the
 *   partitions with leases in a key-value bucket, which keeps per-aggregate order.
 * - A failing message is `nak`ed with a backoff delay; later messages of its aggregate are held
 *   (kept alive with `working()`) until it succeeds or is dead-lettered, while other aggregates
 *   keep flowing. After `maxAttempts` deliveries it is published to `S.dead.<group>` (stream `S_DLQ`).
 * - Trace context travels in message headers.
 *
 * Delivery is at least once.
 *
 * @example
 * ```ts
 * import { connect } from 'nats';
 * import { NatsEventBus } from '@eventsmith/runtime/nats';
 *
 * const nc = await connect({ servers: process.env.NATS_URL, maxReconnectAttempts: -1 });
 * const bus = new NatsEventBus({ connection: nc, registry, stream: 'BANK' });
 * await bus.subscribe(({ event }) => notify(event), { group: 'notifications' }).start();
 * await bus.publish(events);
 * ```
 */
export class NatsEventBus implements EventBus {
  readonly names: NatsNames;
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #registry: EventRegistry;
  readonly #partitions: number;
  readonly #options: NatsEventBusOptions;
  readonly #subscriptions = new Set<NatsSubscription>();
  readonly #publisher: NatsPublisher;
  #ready: Promise<{ jsm: JetStreamManager; kv: KV }> | undefined;
  #closed = false;

  constructor(options: NatsEventBusOptions) {
    const stream = options.stream ?? 'EVENTSMITH';
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(stream)) {
      throw new BusConfigurationError(
        'stream',
        `"${stream}" must be 1-100 characters of [A-Za-z0-9_-]; it names the JetStream stream and prefixes its subjects.`,
      );
    }
    this.#partitions = options.partitions ?? 16;
    if (!Number.isInteger(this.#partitions) || this.#partitions < 1 || this.#partitions > 1024) {
      throw new BusConfigurationError(
        'partitions',
        `must be an integer from 1 to 1024, got ${String(options.partitions)}.`,
      );
    }
    this.names = new NatsNames(stream);
    this.#nc = options.connection;
    this.#js = options.connection.jetstream();
    // JetStream's own publish timeout (5 s).
    this.#publisher = new NatsPublisher(options.connection, 5000);
    this.#registry = options.registry;
    this.#options = options;
  }

  /** Creates the streams and the lease bucket if they do not exist. Called by publish and subscribe. */
  ensureTopology(): Promise<{ jsm: JetStreamManager; kv: KV }> {
    this.#ready ??= this.#createTopology().catch((error: unknown) => {
      this.#ready = undefined;
      throw natsFailure(error, this.#nc);
    });
    return this.#ready;
  }

  async publish(events: readonly (DomainEvent | EventRecord)[]): Promise<void> {
    if (this.#closed) throw new BusClosedError('NATS');
    if (checkPublishBatch(events) === 0) return;
    await this.ensureTopology();
    await publishWithSpan('nats', events, async (messages) => {
      try {
        // One connection keeps publish order, so an aggregate's events are stored in order.
        await this.#publisher.publish(
          messages.map((m) => {
            const h = busHeaders(m.headers);
            // The stream deduplicates a retried publish on its event id (JetStream's msgID).
            h.append('Nats-Msg-Id', m.record.eventId);
            const subject = this.names.eventSubject(
              partitionOf(m.key, this.#partitions),
              'all',
              m.record.aggregateType,
              m.record.aggregateId,
            );
            return { subject, body: m.body, headers: h };
          }),
        );
      } catch (cause) {
        throw new BusPublishError(
          'NATS',
          messages.map((m) => m.record.eventId),
          { cause: natsFailure(cause, this.#nc) },
        );
      }
    });
  }

  /** Publishes a raw body to partition 0 as a foreign producer would (for tests of undecodable input). */
  async publishRaw(body: string): Promise<void> {
    await this.ensureTopology();
    await this.#js.publish(this.names.eventSubject(0, 'all', 'raw', 'raw'), body);
  }

  subscribe(handler: BusHandler, options: SubscribeOptions): BusSubscription {
    if (this.#closed) throw new BusClosedError('NATS');
    const leaseTtlMs = this.#options.leaseTtlMs ?? 10_000;
    const subscription = new NatsSubscription({
      nc: this.#nc,
      js: this.#js,
      topology: () => this.ensureTopology(),
      names: this.names,
      registry: this.#registry,
      partitions: this.#partitions,
      handler,
      options: resolveSubscribeOptions(options),
      startFrom: this.#options.startFrom ?? 'oldest',
      concurrency: this.#options.concurrency ?? 32,
      ackWaitMs: this.#options.ackWaitMs ?? 30_000,
      leaseTtlMs,
      balanceIntervalMs: this.#options.balanceIntervalMs ?? Math.max(50, Math.floor(leaseTtlMs / 4)),
      onError: this.#options.onError ?? ((error) => console.warn('[eventsmith] NATS bus:', error)),
      closed: () => this.#closed,
      failure: (error) => natsFailure(error, this.#nc),
    });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async deadLetters(group: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    if (this.#closed) throw new BusClosedError('NATS');
    checkGroup(group);
    try {
      return await this.#deadLetters(group, options);
    } catch (error) {
      throw natsFailure(error, this.#nc);
    }
  }

  async #deadLetters(group: string, options: { limit?: number }): Promise<DeadLetter[]> {
    const { jsm } = await this.ensureTopology();
    const subject = this.names.deadLetterSubject(group);
    const info = await jsm.streams.info(this.names.deadLetterStream, { subjects_filter: subject });
    const count = Math.min(info.state.subjects?.[subject] ?? 0, options.limit ?? 1000);
    if (count === 0) return [];
    const consumer = await this.#js.consumers.get(this.names.deadLetterStream, { filterSubjects: subject });
    const letters: DeadLetter[] = [];
    const batch = await consumer.fetch({ max_messages: count, expires: 5000 });
    for await (const m of batch) {
      const body = m.json<NatsDeadLetterBody>();
      letters.push({ ...body, id: String(m.seq), group, deadLetteredAt: new Date(body.deadLetteredAt) });
      if (letters.length >= count) break;
    }
    await consumer.delete().catch(() => undefined);
    return letters;
  }

  async replayDeadLetter(group: string, id: string): Promise<void> {
    if (this.#closed) throw new BusClosedError('NATS');
    checkGroup(group);
    try {
      await this.#replay(group, id);
    } catch (error) {
      throw natsFailure(error, this.#nc);
    }
  }

  async #replay(group: string, id: string): Promise<void> {
    const { jsm } = await this.ensureTopology();
    const seq = Number(id);
    if (!Number.isSafeInteger(seq) || seq < 1) throw new DeadLetterNotFoundError(group, id);
    let body: NatsDeadLetterBody;
    try {
      const stored = await jsm.streams.getMessage(this.names.deadLetterStream, { seq });
      if (stored.subject !== this.names.deadLetterSubject(group)) throw new DeadLetterNotFoundError(group, id);
      body = stored.json<NatsDeadLetterBody>();
    } catch (error) {
      if (error instanceof DeadLetterNotFoundError) throw error;
      // A lost or closed connection is not a missing letter.
      const failure = natsFailure(error, this.#nc);
      if (failure !== error) throw failure;
      throw new DeadLetterNotFoundError(group, id);
    }
    const h = natsHeaders();
    for (const [name, value] of Object.entries(body.headers)) h.set(name, value);
    const partition = partitionOf(body.key, this.#partitions);
    const [aggregateType = 'raw', aggregateId = 'raw'] = [body.aggregateType, body.aggregateId];
    await this.#js.publish(
      this.names.eventSubject(partition, this.names.replayTarget(group), aggregateType, aggregateId),
      body.payload,
      { headers: h },
    );
    await jsm.streams.deleteMessage(this.names.deadLetterStream, seq);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#publisher.close();
    await Promise.all([...this.#subscriptions].map((s) => s.stop()));
  }

  async #createTopology(): Promise<{ jsm: JetStreamManager; kv: KV }> {
    const jsm = await this.#nc.jetstreamManager();
    const retention = this.#options.retention ?? {};
    await ensureStream(jsm, {
      name: this.names.stream,
      subjects: [this.names.eventSubjects()],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(retention.maxAgeMs ?? 7 * 24 * 3600_000),
      max_msgs: retention.maxMessages ?? -1,
      duplicate_window: nanos(2 * 60_000),
    });
    await ensureStream(jsm, {
      name: this.names.deadLetterStream,
      subjects: [this.names.deadLetterSubjects()],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
    });
    // Lease requests get a timeout well inside the lease: one lost with a dropped connection must
    // not hold the balancer past the TTL (JetStream's default 5 s would outlast a short lease, and
    // the member would give up partitions it could have renewed over the new connection).
    const leaseTtlMs = this.#options.leaseTtlMs ?? 10_000;
    const leaseJs = this.#nc.jetstream({ timeout: Math.max(500, Math.floor(leaseTtlMs / 3)) });
    const kv = await leaseJs.views.kv(this.names.leaseBucket, { ttl: leaseTtlMs, history: 1 });
    return { jsm, kv };
  }
}

const BUS_HEADER_NAMES: ReadonlySet<string> = new Set(Object.values(BusHeader));

/**
 * A message's headers. The bus's own names are known to be valid, so their values are only
 * checked (no CR or LF) and trimmed, as `append` would, and set without `append`'s work per
 * header (it spells the name out canonically to check it and lists the names already there);
 * other names (trace context) are appended. Same headers, in the same order.
 */
function busHeaders(headers: Readonly<Record<string, string>>): MsgHdrs {
  const known: Record<string, string[]> = {};
  for (const name in headers) if (BUS_HEADER_NAMES.has(name)) known[name] = [validHeaderValue(headers[name]!)];
  const h = MsgHdrsImpl.fromRecord(known);
  for (const name in headers) if (!BUS_HEADER_NAMES.has(name)) h.append(name, headers[name]!);
  return h;
}

async function ensureStream(
  jsm: JetStreamManager,
  config: Parameters<JetStreamManager['streams']['add']>[0],
): Promise<void> {
  try {
    await jsm.streams.info(config.name!);
  } catch {
    await jsm.streams.add(config);
  }
}
