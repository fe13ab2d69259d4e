import type { Admin, Kafka, KafkaConfig, Producer } from 'kafkajs';
import type { DomainEvent } from '../../events/domain-event.js';
import type { EventRecord } from '../../events/event-record.js';
import type { EventRegistry } from '../../events/event-registry.js';
import { BusClosedError, BusConfigurationError, BusPublishError, DeadLetterNotFoundError } from '../bus-errors.js';
import { checkPublishBatch, publishWithSpan } from '../bus-message.js';
import { checkGroup, resolveSubscribeOptions } from '../deliver.js';
import type { BusHandler, DeadLetter, EventBus, SubscribeOptions } from '../event-bus.js';
import { KafkaDeadLetterReader } from './kafka-dead-letter-reader.js';
import { KafkaHeader, carriedHeaders } from './kafka-codec.js';
import { KafkaSubscription } from './kafka-subscription.js';
import { ensureTopics, kafkaTopics, type KafkaTopics } from './kafka-names.js';
import { kafkajs } from './kafka-driver.js';

export interface KafkaEventBusOptions {
  /** Broker addresses, e.g. `['127.0.0.1:9092']`. */
  readonly brokers: readonly string[];
  /** Decodes and upcasts consumed messages; the same registry the stores use. */
  readonly registry: EventRegistry;
  /** The events topic. Retry and dead-letter topics are named after it. Default `eventsmith.events`. */
  readonly topic?: string;
  /** Partitions of topics the bus creates. Default 8. Existing topics keep theirs. */
  readonly partitions?: number;
  /** Where a consumer group seen for the first time starts: the beginning of the topic (default) or its end. */
  readonly fromBeginning?: boolean;
  readonly clientId?: string;
  /** Session timeout of group members: how long a member that died silently keeps its partitions. Default 10 000. */
  readonly sessionTimeoutMs?: number;
  /**
   * How long a subscription's `start()` waits for its consumer to join the group (a join waits for
   * the group's other members to rejoin, sometimes over several rounds). Default 5 × `sessionTimeoutMs`.
   */
  readonly joinTimeoutMs?: number;
  /** Partitions one subscription handles at once. Default 4. */
  readonly partitionsConsumedConcurrently?: number;
  /** Longest a fetch waits for new messages on the broker (a latency/requests trade-off). Default 500. */
  readonly maxWaitTimeInMs?: number;
  /** Default wait for in-flight handlers in `stop()` and `close()`. Default 10 000. */
  readonly stopTimeoutMs?: number;
  /** Extra kafkajs client settings (SSL, SASL, retry…). */
  readonly kafka?: Omit<KafkaConfig, 'brokers' | 'clientId'>;
  /** Receives errors the bus recovers from by itself. Default: `console.warn`. */
  readonly onError?: (error: unknown) => void;
}

/**
 * The Kafka bus (`kafkajs`). Events go to one topic keyed by aggregate (`"<type>-<id>"`), so an
 * aggregate's events share a partition and keep their order. Each subscription is a member of a
 * Kafka consumer group that commits offsets after handling. Failing handlers' messages move to the
 * group's retry topic (the main partition never waits) and, after `maxAttempts`, to its
 * dead-letter topic with the error; unknown and undecodable messages go there too. A message of a
 * schema version newer than the registry knows goes through the retry topic for as long as it
 * takes a consumer of the newer release to handle it, never to the dead-letter topic.
 *
 * Limits: a retry partition whose oldest message is not due yet waits for it (pausing that
 * partition only), so a retry may run later than its backoff. Later events of a retrying
 * aggregate are kept behind it while its partition stays with one member; after a rebalance or a
 * crash, one may overtake it.
 *
 * Delivery is at-least-once.
 *
 * @example
 * ```ts
 * const bus = new KafkaEventBus({ brokers: ['127.0.0.1:9092'], registry, topic: 'bank.events' });
 * await bus.subscribe(async ({ event }) => project(event), { group: 'reporting' }).start();
 * await bus.publish([deposited]);
 * await bus.close();
 * ```
 */
export class KafkaEventBus implements EventBus {
  readonly topics: KafkaTopics;
  readonly #options: KafkaEventBusOptions;
  readonly #kafka: Kafka;
  readonly #partitions: number;
  readonly #subscriptions = new Set<KafkaSubscription>();
  readonly #readers = new Map<string, KafkaDeadLetterReader>();
  readonly #onError: (error: unknown) => void;
  #producer: Promise<Producer> | undefined;
  #admin: Promise<Admin> | undefined;
  #mainTopic: Promise<void> | undefined;
  #closed = false;

  constructor(options: KafkaEventBusOptions) {
    if (options.brokers.length === 0)
      throw new BusConfigurationError('brokers', 'give at least one broker address, e.g. "127.0.0.1:9092".');
    const partitions = options.partitions ?? 8;
    if (!Number.isInteger(partitions) || partitions < 1) {
      throw new BusConfigurationError('partitions', `must be an integer ≥ 1, got ${String(options.partitions)}.`);
    }
    this.#options = options;
    this.#partitions = partitions;
    this.topics = kafkaTopics(options.topic ?? 'eventsmith.events');
    this.#onError =
      options.onError ??
      ((error: unknown) => console.warn(`[eventsmith] Kafka bus: ${(error as Error).message ?? String(error)}`));
    this.#kafka = new kafkajs.Kafka({
      logLevel: kafkajs.logLevel.NOTHING,
      ...options.kafka,
      brokers: [...options.brokers],
      clientId: options.clientId ?? 'eventsmith',
    });
  }

  async publish(events: readonly (DomainEvent | EventRecord)[]): Promise<void> {
    this.#assertOpen();
    if (checkPublishBatch(events) === 0) return;
    try {
      await publishWithSpan(
        'kafka',
        events,
        async (messages) => {
          await this.#ensureMainTopic();
          const producer = await this.#getProducer();
          await producer.send({
            topic: this.topics.main,
            acks: -1,
            messages: messages.map((m) => ({ key: m.key, value: m.body, headers: m.headers })),
          });
        },
        { 'messaging.destination.name': this.topics.main },
      );
    } catch (error) {
      throw new BusPublishError(
        'Kafka',
        events.map((e) => e.eventId),
        { cause: error },
      );
    }
  }

  subscribe(handler: BusHandler, options: SubscribeOptions): KafkaSubscription {
    this.#assertOpen();
    const subscription = new KafkaSubscription(
      {
        kafka: this.#kafka,
        topics: this.topics,
        registry: this.#options.registry,
        producer: () => this.#getProducer(),
        ensureGroupTopics: (group) => this.#ensureGroupTopics(group),
        fromBeginning: this.#options.fromBeginning ?? true,
        sessionTimeoutMs: this.#options.sessionTimeoutMs ?? 10_000,
        joinTimeoutMs: this.#options.joinTimeoutMs ?? 5 * (this.#options.sessionTimeoutMs ?? 10_000),
        heartbeatIntervalMs: Math.max(100, Math.floor((this.#options.sessionTimeoutMs ?? 10_000) / 5)),
        partitionsConsumedConcurrently: this.#options.partitionsConsumedConcurrently ?? 4,
        maxWaitTimeInMs: this.#options.maxWaitTimeInMs ?? 500,
        stopTimeoutMs: this.#options.stopTimeoutMs ?? 10_000,
        onError: this.#onError,
        closed: () => this.#closed,
      },
      handler,
      resolveSubscribeOptions(options),
    );
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async deadLetters(group: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    this.#assertOpen();
    checkGroup(group);
    const stored = await this.#reader(group).list(30_000);
    return stored.slice(0, options.limit ?? 100).map((s) => s.letter);
  }

  async replayDeadLetter(group: string, id: string): Promise<void> {
    this.#assertOpen();
    checkGroup(group);
    const reader = this.#reader(group);
    const found = (await reader.list(30_000)).find((s) => s.letter.id === id);
    if (!found) throw new DeadLetterNotFoundError(group, id);
    const producer = await this.#getProducer();
    // Back through the group's retry topic (due now), so only this group sees it again.
    const headers = { ...carriedHeaders(found.headers), [KafkaHeader.attempt]: '1', [KafkaHeader.notBefore]: '0' };
    const key = found.headers[KafkaHeader.key] ?? null;
    await producer.send({
      topic: this.topics.retry(group),
      acks: -1,
      messages: [{ key, value: found.value, headers }],
    });
    await producer.send({ topic: this.topics.deadLetters(group), acks: -1, messages: [{ key: id, value: null }] });
    reader.forget(id);
  }

  /** Stops every subscription (draining in-flight handlers) and disconnects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#subscriptions].map((s) => s.stop()));
    await Promise.allSettled([...this.#readers.values()].map((r) => r.close()));
    const producer = await this.#producer?.catch(() => undefined);
    await producer?.disconnect().catch(() => {});
    const admin = await this.#admin?.catch(() => undefined);
    await admin?.disconnect().catch(() => {});
  }

  #reader(group: string): KafkaDeadLetterReader {
    let reader = this.#readers.get(group);
    if (!reader) {
      reader = new KafkaDeadLetterReader(this.#kafka, () => this.#getAdmin(), this.topics, group);
      this.#readers.set(group, reader);
    }
    return reader;
  }

  #getProducer(): Promise<Producer> {
    this.#producer ??= (async () => {
      // One request in flight keeps an aggregate's events in order even when a send is retried.
      // The Java client's partitioner (murmur2 of the key), named so kafkajs does not warn about its v2 default.
      const producer = this.#kafka.producer({
        allowAutoTopicCreation: true,
        maxInFlightRequests: 1,
        createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return producer;
    })();
    return retryOnFailure(this.#producer, () => (this.#producer = undefined));
  }

  #getAdmin(): Promise<Admin> {
    this.#admin ??= (async () => {
      const admin = this.#kafka.admin();
      await admin.connect();
      return admin;
    })();
    return retryOnFailure(this.#admin, () => (this.#admin = undefined));
  }

  #ensureMainTopic(): Promise<void> {
    this.#mainTopic ??= (async () =>
      ensureTopics(await this.#getAdmin(), [{ topic: this.topics.main }], this.#partitions))();
    return retryOnFailure(this.#mainTopic, () => (this.#mainTopic = undefined));
  }

  async #ensureGroupTopics(group: string): Promise<void> {
    await this.#ensureMainTopic();
    const admin = await this.#getAdmin();
    // The retry topic must have as many partitions as the main topic, so keys line up.
    const metadata = await admin.fetchTopicMetadata({ topics: [this.topics.main] }).catch(() => undefined);
    const partitions = metadata?.topics[0]?.partitions.length ?? this.#partitions;
    await ensureTopics(
      admin,
      [{ topic: this.topics.retry(group) }, { topic: this.topics.deadLetters(group), compact: true }],
      partitions,
    );
  }

  #assertOpen(): void {
    if (this.#closed) throw new BusClosedError('Kafka');
  }
}

function retryOnFailure<T>(promise: Promise<T>, reset: () => void): Promise<T> {
  promise.catch(reset);
  return promise;
}
