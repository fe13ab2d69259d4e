import type { Redis } from 'ioredis';
import { ioredis } from './redis-driver.js';
import type { DomainEvent } from '../../events/domain-event.js';
import type { EventRecord } from '../../events/event-record.js';
import type { EventRegistry } from '../../events/event-registry.js';
import { BusClosedError, BusConfigurationError, BusPublishError, DeadLetterNotFoundError } from '../bus-errors.js';
import { BusHeader, checkPublishBatch, publishWithSpan } from '../bus-message.js';
import { checkGroup, resolveSubscribeOptions } from '../deliver.js';
import type {
  BusHandler,
  BusSubscription,
  DeadLetter,
  DeadLetterReason,
  EventBus,
  SubscribeOptions,
} from '../event-bus.js';
import { partitionOf } from '../partitioning.js';
import { settleWithin } from '../settle-within.js';
import { redisFailure } from './redis-errors.js';
import { RedisKeys } from './redis-names.js';
import { APPEND, REPLAY } from './redis-scripts.js';
import { encodeEntry, toFields } from './redis-codec.js';
import { RedisSubscription, type RedisSubscriptionSettings } from './redis-subscription.js';
import { checkRedisUrl } from './redis-url.js';

export interface RedisEventBusOptions {
  /**
   * A client (the bus makes its own connections with `duplicate()` and leaves yours open) or a URL,
   * `redis://[user:password@]host:port[/db]` or `rediss://…` (TLS); any other text throws
   * `BusConfigurationError`. For a Unix socket, pass a client.
   */
  readonly redis: Redis | string;
  /** Decodes and upcasts messages for handlers; use the same registry as the store. */
  readonly registry: EventRegistry;
  /** Key prefix: one per domain, e.g. `"bank"`. Default `"eventsmith"`. */
  readonly stream?: string;
  /**
   * Streams per domain. Aggregates are hashed onto them; each is consumed by one member of a group
   * at a time, which keeps per-aggregate order. Every publisher and consumer must agree. Default 16.
   */
  readonly partitions?: number;
  /**
   * How much history each partition stream keeps: `{ maxLength }` entries (MAXLEN ~) or
   * `{ maxAgeMs }` (MINID ~). A group that falls further behind than this loses messages.
   * Default `{ maxLength: 100_000 }`.
   */
  readonly retention?: { readonly maxLength: number } | { readonly maxAgeMs: number };
  /** Where a new group starts: the oldest retained message, or only new ones. Default `'oldest'`. */
  readonly startFrom?: 'oldest' | 'latest';
  /** Handlers one subscription runs at once (on different aggregates). Default 32. */
  readonly concurrency?: number;
  /** A message pending this long without an ack is reclaimed with XAUTOCLAIM. Default 60 000 ms. */
  readonly claimIdleMs?: number;
  /** A member's partition leases expire this long after its last heartbeat. Default 10 000 ms. */
  readonly leaseTtlMs?: number;
  /** How often members heartbeat and rebalance partitions. Default leaseTtlMs / 4. */
  readonly balanceIntervalMs?: number;
  /** How often due retries are polled. Default 100 ms. */
  readonly retryPollMs?: number;
  /**
   * Called with errors the bus recovers from by itself (a lost connection, a failed ack that
   * leads to a redelivery). Default: `console.warn`.
   */
  readonly onError?: (error: unknown) => void;
}

/** Entries appended per script call. */
const APPEND_CHUNK = 256;

/**
 * An {@link EventBus} on Redis Streams (Redis ≥ 6.2).
 *
 * - Aggregates are hashed onto `partitions` streams, each trimmed with `MAXLEN ~` or `MINID ~`.
 *   A publish appends its batch with one script call per 256 events.
 * - Every group is a Redis consumer group on each stream. Its members split the partitions
 *   between them with leases (a partition has one owner at a time), and read with XREADGROUP,
 *   running different aggregates concurrently and one aggregate's messages in order.
 * - A failing message is acknowledged and moved to the group's retry set (a sorted set keyed by
 *   due time); later messages of its aggregate are parked behind it, so they cannot overtake it,
 *   while other aggregates keep flowing. After `maxAttempts` it goes to the dead-letter stream.
 * - Pending messages of a dead member are claimed with XAUTOCLAIM when its partition changes
 *   hands, and any message idle longer than `claimIdleMs` is reclaimed automatically.
 * - Trace context travels in the `traceparent`/`tracestate` fields of each entry.
 *
 * Delivery is at least once. Redis Cluster is not supported (scripts touch keys of several slots).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { RedisEventBus } from '@eventsmith/runtime/redis';
 *
 * const bus = new RedisEventBus({ redis: new Redis(process.env.REDIS_URL!), registry, stream: 'bank' });
 * await bus.subscribe(({ event }) => notify(event), { group: 'notifications' }).start();
 * await bus.publish(events);
 * ```
 */
export class RedisEventBus implements EventBus {
  readonly keys: RedisKeys;
  readonly #redis: Redis;
  readonly #registry: EventRegistry;
  readonly #partitions: number;
  /** The three trim arguments of XADD, or a function computing them (MINID moves with the clock). */
  readonly #trim: readonly (string | number)[] | (() => (string | number)[]);
  readonly #settings: RedisSubscriptionSettings;
  readonly #subscriptions = new Set<RedisSubscription>();
  /** Partition stream names, by partition. */
  readonly #streams: readonly string[];
  #closed = false;
  /** The client's last connection error, for the message of a command that fails because of it. */
  #lastConnectionError: string | undefined;

  constructor(options: RedisEventBusOptions) {
    if (typeof options.redis === 'string') checkRedisUrl(options.redis);
    this.#redis = typeof options.redis === 'string' ? new ioredis.Redis(options.redis) : options.redis.duplicate();
    this.#registry = options.registry;
    this.keys = new RedisKeys(options.stream ?? 'eventsmith');
    this.#partitions = options.partitions ?? 16;
    if (!Number.isInteger(this.#partitions) || this.#partitions < 1 || this.#partitions > 1024) {
      throw new BusConfigurationError(
        'partitions',
        `must be an integer from 1 to 1024, got ${String(options.partitions)}.`,
      );
    }
    this.#streams = Array.from({ length: this.#partitions }, (_, p) => this.keys.stream(p));
    const retention = options.retention ?? { maxLength: 100_000 };
    this.#trim =
      'maxLength' in retention
        ? ['MAXLEN', '~', retention.maxLength]
        : () => ['MINID', '~', `${Math.max(0, Date.now() - retention.maxAgeMs)}-0`];
    const leaseTtlMs = options.leaseTtlMs ?? 10_000;
    this.#settings = {
      startFrom: options.startFrom ?? 'oldest',
      concurrency: options.concurrency ?? 32,
      claimIdleMs: options.claimIdleMs ?? 60_000,
      leaseTtlMs,
      balanceIntervalMs: options.balanceIntervalMs ?? Math.max(50, Math.floor(leaseTtlMs / 4)),
      retryPollMs: options.retryPollMs ?? 100,
      onError: options.onError ?? ((error) => console.warn('[eventsmith] Redis bus:', error)),
    };
    this.#redis.on('error', (error: Error) => {
      this.#lastConnectionError = error.message;
      this.#settings.onError(error);
    });
    this.#redis.on('ready', () => (this.#lastConnectionError = undefined));
  }

  async publish(events: readonly (DomainEvent | EventRecord)[]): Promise<void> {
    if (this.#closed) throw new BusClosedError('Redis');
    if (checkPublishBatch(events) === 0) return;
    await publishWithSpan('redis', events, async (messages) => {
      const trim = typeof this.#trim === 'function' ? this.#trim() : this.#trim;
      // Chunks bound how long one script holds the server. They run one after the other: after a
      // failure nothing later in the batch is appended, so a retried batch cannot overtake it.
      for (let start = 0; start < messages.length; start += APPEND_CHUNK) {
        const end = Math.min(messages.length, start + APPEND_CHUNK);
        const streams: string[] = [];
        const args: (string | number)[] = [...trim];
        for (let i = start; i < end; i++) {
          const { key, body, headers } = messages[i]!;
          streams.push(this.#streams[partitionOf(key, this.#partitions)]!);
          // The body carries the envelope; entries keep only what filtering and tracing need.
          args.push(
            key,
            body,
            headers[BusHeader.eventType]!,
            headers[BusHeader.aggregateType]!,
            headers['traceparent'] ?? '',
            headers['tracestate'] ?? '',
          );
        }
        try {
          await APPEND.run(this.#redis, streams, args);
        } catch (cause) {
          throw new BusPublishError(
            'Redis',
            messages.map((m) => m.record.eventId),
            { cause: this.#failure(cause) },
          );
        }
      }
    });
  }

  subscribe(handler: BusHandler, options: SubscribeOptions): BusSubscription {
    if (this.#closed) throw new BusClosedError('Redis');
    const subscription = new RedisSubscription({
      redis: this.#redis,
      keys: this.keys,
      registry: this.#registry,
      partitions: this.#partitions,
      handler,
      options: resolveSubscribeOptions(options),
      closed: () => this.#closed,
      failure: (error) => this.#failure(error),
      ...this.#settings,
    });
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async deadLetters(group: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    if (this.#closed) throw new BusClosedError('Redis');
    checkGroup(group);
    const entries = (await this.#redis
      .call('XRANGE', this.keys.deadLetters(group), '-', '+', 'COUNT', options.limit ?? 1000)
      .catch((error: unknown) => {
        throw this.#failure(error);
      })) as [string, string[]][];
    return entries.map(([id, list]) => {
      const f = toFields(list);
      return {
        id,
        group,
        reason: f['reason'] as DeadLetterReason,
        error: f['error'] ?? '',
        attempts: Number(f['attempts'] ?? 0),
        payload: f['body'] ?? '',
        eventType: f['eventType'] || undefined,
        eventId: f['eventId'] || undefined,
        aggregateType: f['aggregateType'] || undefined,
        aggregateId: f['aggregateId'] || undefined,
        deadLetteredAt: new Date(Number(f['at'] ?? id.split('-')[0])),
      };
    });
  }

  async replayDeadLetter(group: string, id: string): Promise<void> {
    if (this.#closed) throw new BusClosedError('Redis');
    checkGroup(group);
    if (!/^\d+-\d+$/.test(id)) throw new DeadLetterNotFoundError(group, id);
    try {
      await this.#replay(group, id);
    } catch (error) {
      throw this.#failure(error);
    }
  }

  async #replay(group: string, id: string): Promise<void> {
    const found = (await this.#redis.call('XRANGE', this.keys.deadLetters(group), id, id)) as [string, string[]][];
    const list = found[0]?.[1];
    if (!list) throw new DeadLetterNotFoundError(group, id);
    const f = toFields(list);
    const key = f['key'] ?? '';
    const headers = JSON.parse(f['headers'] ?? '{}') as Record<string, string>;
    const entry = encodeEntry({ id, key, body: f['body'] ?? '', headers, attempt: 1, replay: true });
    const retryKey = this.keys.retry(group, partitionOf(key, this.#partitions));
    const moved = await REPLAY.run(this.#redis, [this.keys.deadLetters(group), retryKey], [id, Date.now(), entry]);
    if (moved !== 1) throw new DeadLetterNotFoundError(group, id);
  }

  /** A failed Redis command's typed error (see {@link redisFailure}). */
  #failure(error: unknown): unknown {
    return redisFailure(error, this.#redis, this.#lastConnectionError);
  }

  /**
   * Stops every subscription (waiting up to 30 s for in-flight handlers) and closes the bus's own
   * connection. Bounded even while Redis is unreachable: commands still queued for it are dropped
   * after one lease TTL.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.stop()));
    // QUIT waits behind commands queued for a reconnection that may never come.
    if (!(await settleWithin([this.#redis.quit()], this.#settings.leaseTtlMs))) this.#redis.disconnect();
  }
}
