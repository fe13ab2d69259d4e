import type { ChannelModel, ConfirmChannel } from 'amqplib';
import type { DomainEvent } from '../../events/domain-event.js';
import type { EventRecord } from '../../events/event-record.js';
import type { EventRegistry } from '../../events/event-registry.js';
import { BusClosedError, BusConfigurationError, BusPublishError, DeadLetterNotFoundError } from '../bus-errors.js';
import { checkPublishBatch, publishWithSpan, type BusMessage } from '../bus-message.js';
import { decodeDeadLetter } from '../dead-letter-headers.js';
import { checkGroup, resolveSubscribeOptions } from '../deliver.js';
import type { BusHandler, DeadLetter, EventBus, SubscribeOptions } from '../event-bus.js';
import { settleWithin } from '../settle-within.js';
import { injectTraceHeaders, stringHeaders } from '../trace-headers.js';
import { RabbitMqConnection } from './rabbitmq-connection.js';
import {
  RabbitMqHeader,
  carriedHeaders,
  keyFromHeaders,
  messageProperties,
  publishConfirmed,
} from './rabbitmq-codec.js';
import { RabbitMqSubscription } from './rabbitmq-subscription.js';
import {
  declareExchange,
  declareGroup,
  partitionOf,
  rabbitMqNames,
  routingKey,
  type RabbitMqNames,
} from './rabbitmq-names.js';

export interface RabbitMqEventBusOptions {
  /** `amqp://user:password@host:5672/vhost`. */
  readonly url: string;
  /** Decodes and upcasts consumed messages; the same registry the stores use. */
  readonly registry: EventRegistry;
  /** Prefix of every exchange and queue name. Default `eventsmith`. */
  readonly namespace?: string;
  /**
   * Partition queues per consumer group. Every publisher and consumer of a namespace must use the
   * same number; changing it re-hashes aggregates onto other queues. Default 8.
   */
  readonly partitions?: number;
  /** Unacknowledged messages per partition consumer; bounds handler concurrency. Default 64. */
  readonly prefetch?: number;
  /**
   * The longest a `publish` takes: it retries through reconnections (and lost confirms) until the
   * broker confirmed every event, and fails with `BUS.PUBLISH_FAILED` once this much time has
   * passed without that. Default 30 000.
   */
  readonly publishTimeoutMs?: number;
  /** Default wait for in-flight handlers in `stop()` and `close()`. Default 10 000. */
  readonly stopTimeoutMs?: number;
  /** How often each group member checks that the group's partitions are shared out and covered. Default 1 000. */
  readonly rebalanceIntervalMs?: number;
  /** AMQP heartbeat. Default 10 s. */
  readonly heartbeatSeconds?: number;
  /** First reconnection delay, doubled per failure up to 5 s. Default 200. */
  readonly reconnectDelayMs?: number;
  /** Shown in the broker's connection list. Default `eventsmith`. */
  readonly connectionName?: string;
  /** Receives errors the bus recovers from by itself (lost connections, failed redeclarations). Default: `console.warn`. */
  readonly onError?: (error: unknown) => void;
}

/**
 * The RabbitMQ bus (`amqplib`). Events go to one durable topic exchange, with publisher confirms.
 * Each consumer group gets `partitions` durable queues with `x-single-active-consumer`; an event's
 * partition is a hash of its aggregate, so one group member at a time handles an aggregate's
 * events, in order. Retries go through per-step TTL queues that dead-letter back to the partition
 * queue (no handler sleeps, other aggregates keep flowing, and later events of a retrying
 * aggregate wait behind it). Failed, unknown and undecodable messages land in the group's
 * dead-letter queue with their reason; a message of a schema version newer than the registry knows
 * keeps coming back through the longest TTL queue until a consumer of the newer release handles
 * it. The connection reconnects and re-declares everything by itself.
 *
 * Members of a group share its partition queues (each takes about partitions / members of them and
 * a partition left without a consumer is claimed within `rebalanceIntervalMs`), so a group scales
 * out up to `partitions` members. Backoff steps are queues with a fixed TTL (base · 2^(attempt-1),
 * capped by `maxRetryDelayMs`) and no jitter: one TTL per queue is what keeps its messages in order.
 * Per-aggregate order under retries is kept by the member holding the partition; if it dies while a
 * message is in a delay queue, a later event of that aggregate may overtake the retried one.
 *
 * Delivery is at-least-once: after a crash or a lost connection a handler can see an event again.
 *
 * @example
 * ```ts
 * const bus = await RabbitMqEventBus.connect({ url: 'amqp://guest:guest@127.0.0.1:5672', registry });
 * const subscription = bus.subscribe(async ({ event }) => project(event), { group: 'reporting' });
 * await subscription.start();
 * await bus.publish([deposited]);
 * console.log(await bus.deadLetters('reporting'));
 * await bus.close();
 * ```
 */
export class RabbitMqEventBus implements EventBus {
  /** Names of the exchanges and queues this bus uses. */
  readonly names: RabbitMqNames;
  readonly #options: Required<Omit<RabbitMqEventBusOptions, 'registry'>> & { registry: EventRegistry };
  readonly #connection: RabbitMqConnection;
  readonly #subscriptions = new Set<RabbitMqSubscription>();
  /** Group declarations started by `subscribe()`; `publish()` waits for them so no event misses a new group. */
  readonly #declaring = new Set<Promise<void>>();
  #opening: Promise<void> | undefined;
  #publishChannel: Promise<ConfirmChannel> | undefined;
  #closed = false;

  constructor(options: RabbitMqEventBusOptions) {
    const partitions = options.partitions ?? 8;
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) {
      throw new BusConfigurationError(
        'partitions',
        `must be an integer from 1 to 1024, got ${String(options.partitions)}.`,
      );
    }
    checkAmqpUrl(options.url);
    const namespace = options.namespace ?? 'eventsmith';
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(namespace)) {
      throw new BusConfigurationError('namespace', `"${namespace}" must be 1-100 characters of [A-Za-z0-9_.-].`);
    }
    this.#options = {
      namespace,
      partitions,
      prefetch: options.prefetch ?? 64,
      publishTimeoutMs: options.publishTimeoutMs ?? 30_000,
      stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
      rebalanceIntervalMs: options.rebalanceIntervalMs ?? 1_000,
      heartbeatSeconds: options.heartbeatSeconds ?? 10,
      reconnectDelayMs: options.reconnectDelayMs ?? 200,
      connectionName: options.connectionName ?? 'eventsmith',
      onError:
        options.onError ??
        ((error: unknown) => console.warn(`[eventsmith] RabbitMQ bus: ${(error as Error).message ?? String(error)}`)),
      url: options.url,
      registry: options.registry,
    };
    this.names = rabbitMqNames(namespace);
    this.#connection = new RabbitMqConnection({
      url: options.url,
      heartbeatSeconds: this.#options.heartbeatSeconds,
      reconnectDelayMs: this.#options.reconnectDelayMs,
      reconnectMaxDelayMs: 5_000,
      connectionName: this.#options.connectionName,
      onError: this.#options.onError,
    });
  }

  /** Creates a bus and opens its connection, failing fast when the broker cannot be reached. */
  static async connect(options: RabbitMqEventBusOptions): Promise<RabbitMqEventBus> {
    const bus = new RabbitMqEventBus(options);
    await bus.#open();
    return bus;
  }

  async publish(events: readonly (DomainEvent | EventRecord)[]): Promise<void> {
    this.#assertOpen();
    if (checkPublishBatch(events) === 0) return;
    const deadline = Date.now() + this.#options.publishTimeoutMs;
    await this.#open();
    // Bounded: a declaration stuck on a dying connection must not hold publishes past their deadline.
    if (this.#declaring.size > 0) await settleWithin([...this.#declaring], this.#options.publishTimeoutMs);
    await publishWithSpan('rabbitmq', events, (messages) => this.#publishWithRetry(messages, deadline), {
      'messaging.destination.name': this.names.exchange,
    });
  }

  subscribe(handler: BusHandler, options: SubscribeOptions): RabbitMqSubscription {
    this.#assertOpen();
    const subscription = new RabbitMqSubscription(
      {
        connection: this.#connection,
        names: this.names,
        registry: this.#options.registry,
        partitions: this.#options.partitions,
        prefetch: this.#options.prefetch,
        stopTimeoutMs: this.#options.stopTimeoutMs,
        rebalanceIntervalMs: this.#options.rebalanceIntervalMs,
        // A subscription of a closed bus cannot start again.
        open: async () => {
          this.#assertOpen();
          await this.#open();
        },
        onError: this.#options.onError,
      },
      handler,
      resolveSubscribeOptions(options),
    );
    this.#subscriptions.add(subscription);
    // Declare the group's queues now, so events published before start() reach them.
    const declaring = this.#withChannel((channel) => declareGroup(channel, this.names, subscription.topology)).catch(
      this.#options.onError,
    );
    this.#declaring.add(declaring);
    void declaring.finally(() => this.#declaring.delete(declaring));
    return subscription;
  }

  async deadLetters(group: string, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    this.#assertOpen();
    checkGroup(group);
    const limit = options.limit ?? 100;
    const queue = this.names.deadLetterQueue(group);
    return this.#withChannel(async (channel) => {
      const available = await checkQueue(channel, queue);
      const letters: DeadLetter[] = [];
      // Messages taken with get() and never acknowledged go back to their places when the channel closes.
      while (letters.length < Math.min(limit, available)) {
        const message = await channel.get(queue, { noAck: false });
        if (message === false) break;
        const headers = stringHeaders(message.properties.headers as Record<string, unknown> | undefined);
        letters.push(decodeDeadLetter(group, String(message.properties.messageId ?? ''), headers, message.content));
      }
      return letters;
    });
  }

  async replayDeadLetter(group: string, id: string): Promise<void> {
    this.#assertOpen();
    checkGroup(group);
    const queue = this.names.deadLetterQueue(group);
    const found = await this.#withChannel(async (channel) => {
      const available = await checkQueue(channel, queue);
      for (let i = 0; i < available; i++) {
        const message = await channel.get(queue, { noAck: false });
        if (message === false) return false;
        if (message.properties.messageId !== id) continue;
        const headers = stringHeaders(message.properties.headers as Record<string, unknown> | undefined);
        const key = keyFromHeaders(headers);
        const partition = key === undefined ? 0 : partitionOf(key, this.#options.partitions);
        const replayed = { ...carriedHeaders(headers), [RabbitMqHeader.attempt]: '1' };
        const eventId = headers['eventsmith-event-id'];
        await publishConfirmed(
          channel,
          '',
          this.names.partitionQueue(group, partition),
          message.content,
          messageProperties(replayed, eventId, headers['eventsmith-event-type']),
        );
        channel.ack(message);
        return true;
      }
      return false;
    });
    if (!found) throw new DeadLetterNotFoundError(group, id);
  }

  /** Stops every subscription (draining in-flight handlers) and closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#subscriptions].map((s) => s.stop()));
    this.#subscriptions.clear();
    const channel = await this.#publishChannel?.catch(() => undefined);
    await channel?.close().catch(() => {});
    await this.#connection.close();
  }

  async #open(): Promise<void> {
    this.#opening ??= this.#connection.open().catch((error: unknown) => {
      this.#opening = undefined;
      throw error;
    });
    return this.#opening;
  }

  async #publishWithRetry(messages: readonly BusMessage[], deadline: number): Promise<void> {
    for (let pause = 50; ; pause = Math.min(pause * 2, 1_000)) {
      try {
        await this.#publishOnce(messages, deadline);
        return;
      } catch (error) {
        if (this.#closed) throw new BusClosedError('RabbitMQ');
        if (Date.now() + pause >= deadline) {
          throw new BusPublishError(
            'RabbitMQ',
            messages.map((m) => m.record.eventId),
            { cause: error },
          );
        }
        // The connection or channel went away mid-batch: republish the whole batch once it is back.
        // Events confirmed before the failure may be delivered twice (at-least-once).
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  /**
   * One attempt: the publish channel, then every confirm, failing once `deadline` passes. A
   * channel that timed out is dropped (and closed when it arrives), so the next attempt starts
   * on a fresh one instead of waiting on it again.
   */
  async #publishOnce(messages: readonly BusMessage[], deadline: number): Promise<void> {
    const remaining = Math.max(1, deadline - Date.now());
    const channel = this.#channelForPublishing(remaining);
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new Error(`the broker did not confirm within ${this.#options.publishTimeoutMs} ms`));
      }, remaining);
    });
    try {
      await Promise.race([channel.then((ready) => this.#send(ready, messages)), expired]);
    } catch (error) {
      if (timedOut && this.#publishChannel === channel) {
        this.#publishChannel = undefined;
        void channel.then((stale) => stale.close()).catch(() => {});
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async #send(channel: ConfirmChannel, messages: readonly BusMessage[]): Promise<void> {
    const confirms: Promise<void>[] = [];
    for (const message of messages) {
      const { record } = message;
      const headers = { ...message.headers };
      injectTraceHeaders(headers);
      const key = routingKey(
        partitionOf(message.key, this.#options.partitions),
        record.aggregateType,
        record.eventType,
      );
      confirms.push(
        publishConfirmed(
          channel,
          this.names.exchange,
          key,
          Buffer.from(message.body, 'utf8'),
          messageProperties(headers, record.eventId, record.eventType),
        ),
      );
    }
    await Promise.all(confirms);
  }

  #channelForPublishing(timeoutMs: number): Promise<ConfirmChannel> {
    this.#publishChannel ??= (async () => {
      const model = await this.#connection.current(timeoutMs);
      const channel = await model.createConfirmChannel();
      channel.on('error', () => {});
      channel.on('close', () => {
        if (this.#publishChannel === pending) this.#publishChannel = undefined;
      });
      await declareExchange(channel, this.names);
      return channel;
    })();
    const pending = this.#publishChannel;
    pending.catch(() => {
      if (this.#publishChannel === pending) this.#publishChannel = undefined;
    });
    return pending;
  }

  /** Runs `fn` on a short-lived confirm channel; channel errors (such as a missing queue) stay on that channel. */
  async #withChannel<T>(fn: (channel: ConfirmChannel) => Promise<T>): Promise<T> {
    await this.#open();
    const model: ChannelModel = await this.#connection.current(this.#options.publishTimeoutMs);
    const channel = await model.createConfirmChannel();
    channel.on('error', () => {});
    try {
      return await fn(channel);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new BusClosedError('RabbitMQ');
  }
}

/** The number of messages in a dead-letter queue (declaring it, empty, when no subscription has yet). */
async function checkQueue(channel: ConfirmChannel, queue: string): Promise<number> {
  try {
    return (await channel.assertQueue(queue, { durable: true })).messageCount;
  } catch {
    return 0;
  }
}

/** Refuses a URL amqplib cannot connect with, without echoing it (it may hold a password). */
function checkAmqpUrl(url: unknown): void {
  let protocol: string | undefined;
  try {
    protocol = typeof url === 'string' ? new URL(url).protocol : undefined;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'amqp:' && protocol !== 'amqps:') {
    throw new BusConfigurationError(
      'url',
      `${protocol === undefined ? 'it is not a valid URL' : `its scheme is "${protocol}"`}. ` +
        'Use amqp://user:password@host:5672/vhost (or amqps:// for TLS), with special characters in the password percent-encoded.',
    );
  }
}
