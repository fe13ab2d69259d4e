import { randomUUID } from 'node:crypto';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { EventRegistry } from '../../events/event-registry.js';
import { AggregateHolds } from '../aggregate-holds.js';
import { peekEnvelope } from '../bus-message.js';
import { deliver, retryDelay, type DeliveryOutcome, type ResolvedSubscribeOptions } from '../deliver.js';
import { BusClosedError } from '../bus-errors.js';
import type { BusHandler, BusSubscription } from '../event-bus.js';
import { KafkaHeader, carriedHeaders, deadLetterHeaders, kafkaHeaders } from './kafka-codec.js';
import { coPartitionedAssigner, type KafkaTopics } from './kafka-names.js';
import { describeThrown } from '../../describe-thrown.js';

/** What a subscription needs from its bus. */
export interface KafkaSubscriptionContext {
  readonly kafka: Kafka;
  readonly topics: KafkaTopics;
  readonly registry: EventRegistry;
  readonly producer: () => Promise<Producer>;
  /** Creates the group's retry and dead-letter topics if they are missing. */
  readonly ensureGroupTopics: (group: string) => Promise<void>;
  readonly fromBeginning: boolean;
  readonly sessionTimeoutMs: number;
  /** How long start() waits for the first join. */
  readonly joinTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly partitionsConsumedConcurrently: number;
  readonly maxWaitTimeInMs: number;
  readonly stopTimeoutMs: number;
  readonly onError: (error: unknown) => void;
  /** Whether the bus was closed: a subscription of a closed bus cannot start again. */
  readonly closed: () => boolean;
}

/**
 * One member of a Kafka consumer group, reading the main topic and the group's retry topic.
 * Partition `p` of both topics always goes to the same member ({@link coPartitionedAssigner}).
 *
 * Offsets are committed after handling, per batch; a crash before the commit means redelivery
 * (at-least-once). A failing handler's message is produced to the retry topic with a not-before
 * time and the main offset moves on, so the main partition never waits. A retry partition whose
 * head is not due yet is paused (not slept on) until it is. Later messages of an aggregate with a
 * message in retry follow it through the retry topic ({@link AggregateHolds}), so they do not
 * overtake it, as long as the partition stays with this member.
 */
export class KafkaSubscription implements BusSubscription {
  readonly #context: KafkaSubscriptionContext;
  readonly #handler: BusHandler;
  readonly #options: ResolvedSubscribeOptions;
  readonly #holds = new AggregateHolds();
  readonly #timers = new Set<NodeJS.Timeout>();
  #consumer: Consumer | undefined;
  #state: 'idle' | 'running' | 'stopping' = 'idle';
  /** Resolves when stop() gives up on in-flight handlers. */
  #abandon: { promise: Promise<'abandoned'>; resolve: () => void } = abandonSignal();

  constructor(context: KafkaSubscriptionContext, handler: BusHandler, options: ResolvedSubscribeOptions) {
    this.#context = context;
    this.#handler = handler;
    this.#options = options;
  }

  async start(): Promise<void> {
    if (this.#context.closed()) throw new BusClosedError('Kafka');
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    this.#abandon = abandonSignal();
    const { kafka, topics, sessionTimeoutMs, heartbeatIntervalMs } = this.#context;
    const group = this.#options.group;
    try {
      await this.#context.ensureGroupTopics(group);
      const consumer = kafka.consumer({
        groupId: topics.groupId(group),
        partitionAssigners: [coPartitionedAssigner],
        sessionTimeout: sessionTimeoutMs,
        rebalanceTimeout: sessionTimeoutMs * 2,
        heartbeatInterval: heartbeatIntervalMs,
        maxWaitTimeInMs: this.#context.maxWaitTimeInMs,
        allowAutoTopicCreation: true,
      });
      this.#consumer = consumer;
      // Settles when the member first joins, or fails at once when kafkajs gives up on the
      // consumer (a crash it will not restart from) before that.
      let lastError: unknown;
      let settleJoin!: (error?: unknown) => void;
      const joined = new Promise<void>((resolve, reject) => {
        settleJoin = (error?: unknown) => (error === undefined ? resolve() : reject(error));
      });
      consumer.on(consumer.events.GROUP_JOIN, () => {
        this.#holds.clear(); // partitions may have moved
        settleJoin();
      });
      consumer.on(consumer.events.CRASH, (event) => {
        lastError = event.payload.error;
        this.#context.onError(event.payload.error);
        if (!event.payload.restart) {
          settleJoin(
            new Error(
              `Kafka consumer group ${topics.groupId(group)} stopped before joining: ${describeThrown(event.payload.error)}`,
              { cause: event.payload.error },
            ),
          );
        }
      });
      await consumer.connect();
      await consumer.subscribe({
        topics: [topics.main, topics.retry(group)],
        fromBeginning: this.#context.fromBeginning,
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.#context.partitionsConsumedConcurrently,
        eachBatch: (payload) => this.#batch(consumer, payload),
      });
      // A join waits for every current member to rejoin, or for the rebalance timeout (2 sessions)
      // to drop the ones that don't; the default allows that plus a few sessions for a slow coordinator.
      const joinWaitMs = this.#context.joinTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const cause =
            lastError === undefined ? '' : ` The last error the consumer reported: ${describeThrown(lastError)}`;
          reject(
            new Error(
              `Kafka consumer group ${topics.groupId(group)} did not finish joining within ${joinWaitMs} ms; check that the brokers are reachable and the group's other members are healthy.${cause}`,
              { cause: lastError },
            ),
          );
        }, joinWaitMs);
      });
      await Promise.race([joined, timedOut]).finally(() => clearTimeout(timer));
    } catch (error) {
      await this.#consumer?.disconnect().catch(() => {});
      this.#consumer = undefined;
      this.#state = 'idle';
      throw error;
    }
  }

  async stop(timeoutMs: number = this.#context.stopTimeoutMs): Promise<void> {
    if (this.#state !== 'running') return;
    this.#state = 'stopping';
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    const consumer = this.#consumer;
    this.#consumer = undefined;
    // disconnect() waits for the running batch; a handler that outlives the timeout is abandoned
    // (its offset is not committed, so the next owner of the partition gets the message again).
    const giveUp = setTimeout(() => this.#abandon.resolve(), timeoutMs);
    await consumer?.disconnect().catch((error: unknown) => this.#context.onError(error));
    clearTimeout(giveUp);
    this.#holds.clear();
    this.#state = 'idle';
  }

  async #batch(consumer: Consumer, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale, pause, commitOffsetsIfNecessary } = payload;
    const fromRetry = batch.topic !== this.#context.topics.main;
    let last: string | undefined;
    for (const message of batch.messages) {
      if (!isRunning() || isStale() || this.#state !== 'running') break;
      const headers = kafkaHeaders(message.headers);
      if (fromRetry) {
        const wait = Number(headers[KafkaHeader.notBefore] ?? 0) - Date.now();
        if (wait > 0) {
          // Not due yet: read this partition again from here once it is; other partitions go on.
          consumer.seek({ topic: batch.topic, partition: batch.partition, offset: message.offset });
          const resume = pause();
          const timer = setTimeout(() => {
            this.#timers.delete(timer);
            if (this.#state === 'running') resume();
          }, wait);
          this.#timers.add(timer);
          break;
        }
      }
      const result = await Promise.race([this.#process(message, headers, fromRetry), this.#abandon.promise]);
      if (result === 'abandoned') break;
      resolveOffset(message.offset);
      last = message.offset;
      await heartbeat();
    }
    if (last !== undefined) {
      const offset = (BigInt(last) + 1n).toString();
      await commitOffsetsIfNecessary({
        topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset }] }],
      });
    }
  }

  async #process(message: KafkaMessage, headers: Record<string, string>, fromRetry: boolean): Promise<void> {
    const key = message.key?.toString('utf8') || undefined;
    const attempt = Math.max(1, Number.parseInt(headers[KafkaHeader.attempt] ?? '1', 10) || 1);
    let token = fromRetry ? headers[KafkaHeader.hold] : undefined;
    if (key !== undefined) {
      const decision = this.#holds.admit(key, token);
      token = decision.token;
      if (decision.action === 'park') {
        await this.#guard(key, token, () =>
          this.#toRetry(message, headers, key, token, attempt, retryDelay(1, this.#options)),
        );
        return;
      }
    }
    const outcome = await deliver({
      system: 'kafka',
      registry: this.#context.registry,
      handler: this.#handler,
      options: this.#options,
      body: message.value ?? Buffer.alloc(0),
      headers,
      attempt,
    });
    if (outcome.kind === 'retry') {
      const retryToken = key === undefined ? undefined : this.#holds.retry(key, token);
      await this.#guard(key, retryToken, () =>
        this.#toRetry(message, headers, key, retryToken, attempt + 1, retryDelay(attempt, this.#options)),
      );
      return;
    }
    if (outcome.kind === 'dead-letter') {
      await this.#guard(key, token, () => this.#toDeadLetters(message, headers, key, outcome, attempt));
    }
    if (key !== undefined) this.#holds.done(key, token);
  }

  async #guard(key: string | undefined, token: string | undefined, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (key !== undefined && token !== undefined) this.#holds.forget(key, token);
      throw error;
    }
  }

  async #toRetry(
    message: KafkaMessage,
    headers: Record<string, string>,
    key: string | undefined,
    token: string | undefined,
    attempt: number,
    delayMs: number,
  ): Promise<void> {
    const out: Record<string, string> = {
      ...carriedHeaders(headers),
      [KafkaHeader.attempt]: String(attempt),
      [KafkaHeader.notBefore]: String(Date.now() + delayMs),
    };
    if (token !== undefined) out[KafkaHeader.hold] = token;
    const producer = await this.#context.producer();
    await producer.send({
      topic: this.#context.topics.retry(this.#options.group),
      acks: -1,
      messages: [{ key: key ?? null, value: message.value, headers: out }],
    });
  }

  async #toDeadLetters(
    message: KafkaMessage,
    headers: Record<string, string>,
    key: string | undefined,
    outcome: Extract<DeliveryOutcome, { kind: 'dead-letter' }>,
    attempt: number,
  ): Promise<void> {
    const body = message.value ?? Buffer.alloc(0);
    const dead = deadLetterHeaders({
      reason: outcome.reason,
      error: outcome.error,
      attempts: attempt,
      headers,
      key,
      envelope: peekEnvelope(body),
    });
    const producer = await this.#context.producer();
    await producer.send({
      topic: this.#context.topics.deadLetters(this.#options.group),
      acks: -1,
      messages: [{ key: randomUUID(), value: body, headers: dead }],
    });
  }
}

function abandonSignal(): { promise: Promise<'abandoned'>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<'abandoned'>((r) => (resolve = () => r('abandoned')));
  return { promise, resolve };
}
