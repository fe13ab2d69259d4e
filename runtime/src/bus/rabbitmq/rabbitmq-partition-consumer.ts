import { randomUUID } from 'node:crypto';
import type { ChannelModel, ConfirmChannel, ConsumeMessage } from 'amqplib';
import type { EventRegistry } from '../../events/event-registry.js';
import { AggregateHolds } from '../aggregate-holds.js';
import { peekEnvelope } from '../bus-message.js';
import { deliver, type DeliveryOutcome, type ResolvedSubscribeOptions } from '../deliver.js';
import type { BusHandler } from '../event-bus.js';
import { stringHeaders } from '../trace-headers.js';
import {
  RabbitMqHeader,
  carriedHeaders,
  deadLetterHeaders,
  keyFromHeaders,
  messageProperties,
  publishConfirmed,
} from './rabbitmq-codec.js';
import { DELAY_HEADER, type RabbitMqNames } from './rabbitmq-names.js';

export interface PartitionConsumerContext {
  readonly names: RabbitMqNames;
  readonly registry: EventRegistry;
  readonly handler: BusHandler;
  readonly options: ResolvedSubscribeOptions;
  readonly prefetch: number;
  readonly onError: (error: unknown) => void;
  /** Backoff after attempt `attempt` failed. */
  retryDelay(attempt: number): number;
  /** How long a message parked behind a retrying one waits before it checks again. */
  readonly holdDelayMs: number;
}

/**
 * Consumes one partition queue of a group on its own confirm channel. Messages of different
 * aggregates run concurrently (up to `prefetch` unacknowledged); messages of one aggregate run one
 * after the other, in queue order.
 *
 * A failing handler's message goes to the TTL queue of its backoff step and comes back to this
 * partition queue when it expires; meanwhile later messages of its aggregate are parked behind it
 * ({@link AggregateHolds}). After `maxAttempts`, and for an undecodable or unknown message, the
 * message goes to the group's dead-letter queue (a newer schema version than the registry knows
 * is retried instead, however often). A message is acknowledged only after its retry or
 * dead-letter copy is confirmed by the broker, so a crash in between loses nothing.
 */
export class RabbitMqPartitionConsumer {
  readonly partition: number;
  readonly queue: string;
  readonly #context: PartitionConsumerContext;
  readonly #channel: ConfirmChannel;
  readonly #holds = new AggregateHolds();
  readonly #lanes = new Map<string, Promise<void>>();
  #state: 'consuming' | 'draining' | 'closed' = 'consuming';
  #running = 0;
  #idle: (() => void)[] = [];
  #onClosed: (() => void) | undefined;

  private constructor(context: PartitionConsumerContext, partition: number, channel: ConfirmChannel) {
    this.#context = context;
    this.partition = partition;
    this.queue = context.names.partitionQueue(context.options.group, partition);
    this.#channel = channel;
  }

  /**
   * Opens a channel and starts consuming. `onClosed` runs once when the channel is gone for any
   * reason (released, lost connection, channel error).
   */
  static async attach(
    model: ChannelModel,
    context: PartitionConsumerContext,
    partition: number,
    onClosed: () => void,
  ): Promise<RabbitMqPartitionConsumer> {
    const channel = await model.createConfirmChannel();
    const consumer = new RabbitMqPartitionConsumer(context, partition, channel);
    consumer.#onClosed = onClosed;
    channel.on('error', (error: unknown) => context.onError(error));
    channel.on('close', () => consumer.#closed());
    try {
      await channel.prefetch(context.prefetch);
      await channel.consume(consumer.queue, (message) => consumer.#receive(message), { noAck: false });
    } catch (error) {
      await channel.close().catch(() => {});
      throw error;
    }
    return consumer;
  }

  get isClosed(): boolean {
    return this.#state === 'closed';
  }

  /**
   * Stops taking messages, waits (up to `timeoutMs`) for the handlers already running, then closes
   * the channel. Deliveries not yet started were never acknowledged: closing the channel puts them
   * back in the queue, in order, for the next consumer.
   */
  async release(timeoutMs: number): Promise<void> {
    if (this.#state !== 'consuming') return;
    this.#state = 'draining';
    await this.#whenIdle(timeoutMs);
    await this.#channel.close().catch(() => {});
    this.#closed();
  }

  #closed(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#holds.clear();
    const onClosed = this.#onClosed;
    this.#onClosed = undefined;
    onClosed?.();
  }

  #receive(message: ConsumeMessage | null): void {
    if (message === null) {
      // The broker cancelled the consumer (its queue was deleted); the subscription re-claims later.
      this.#context.onError(new Error(`RabbitMQ cancelled the consumer of ${this.queue}`));
      this.#channel.close().catch(() => {});
      return;
    }
    if (this.#state !== 'consuming') return;
    const headers = stringHeaders(message.properties.headers as Record<string, unknown> | undefined);
    const key = keyFromHeaders(headers);
    const lane = key ?? `#${randomUUID()}`;
    this.#running++;
    const previous = this.#lanes.get(lane) ?? Promise.resolve();
    const next = previous
      .then(() => this.#process(message, headers, key))
      .catch((error: unknown) => this.#context.onError(error))
      .finally(() => {
        if (this.#lanes.get(lane) === next) this.#lanes.delete(lane);
        if (--this.#running === 0) for (const resolve of this.#idle.splice(0)) resolve();
      });
    this.#lanes.set(lane, next);
  }

  async #process(message: ConsumeMessage, headers: Record<string, string>, key: string | undefined): Promise<void> {
    // Not started before a release, or the channel died: leave it unacknowledged; it is redelivered.
    if (this.#state !== 'consuming') return;
    const attempt = Math.max(1, Number.parseInt(headers[RabbitMqHeader.attempt] ?? '1', 10) || 1);
    let token = headers[RabbitMqHeader.hold];
    if (key !== undefined) {
      const decision = this.#holds.admit(key, token);
      token = decision.token;
      if (decision.action === 'park') {
        await this.#guard(key, token, () => this.#park(message, headers, token, this.#context.holdDelayMs, attempt));
        return this.#ack(message);
      }
    }
    const { registry, handler, options } = this.#context;
    const outcome = await deliver({
      registry,
      handler,
      options,
      body: message.content,
      headers,
      attempt,
      system: 'rabbitmq',
    });
    if (outcome.kind === 'retry') {
      // It stays the oldest parked message of its aggregate until it succeeds or is dead-lettered.
      const retryToken = key === undefined ? undefined : this.#holds.retry(key, token);
      await this.#guard(key, retryToken, () =>
        this.#park(message, headers, retryToken, this.#context.retryDelay(attempt), attempt + 1),
      );
    } else {
      if (outcome.kind === 'dead-letter') {
        await this.#guard(key, token, () => this.#deadLetter(message, headers, outcome, attempt));
      }
      if (key !== undefined) this.#holds.done(key, token);
    }
    this.#ack(message);
  }

  /** Runs a broker write; if it fails, forgets the hold so the redelivered message is not stuck behind it. */
  async #guard(key: string | undefined, token: string | undefined, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (key !== undefined && token !== undefined) this.#holds.forget(key, token);
      throw error;
    }
  }

  #park(
    message: ConsumeMessage,
    headers: Record<string, string>,
    token: string | undefined,
    delayMs: number,
    attempt: number,
  ): Promise<void> {
    const parked: Record<string, string> = {
      ...carriedHeaders(headers),
      [RabbitMqHeader.attempt]: String(attempt),
      [DELAY_HEADER]: String(delayMs),
    };
    if (token !== undefined) parked[RabbitMqHeader.hold] = token;
    const properties = messageProperties(
      parked,
      message.properties.messageId as string | undefined,
      message.properties.type as string | undefined,
    );
    // The delay exchange routes on the header; the routing key is the queue the message returns
    // to when its TTL expires (dead-lettered through the default exchange).
    const exchange = this.#context.names.delayExchange(this.#context.options.group);
    return publishConfirmed(this.#channel, exchange, this.queue, message.content, properties);
  }

  #deadLetter(
    message: ConsumeMessage,
    headers: Record<string, string>,
    outcome: Extract<DeliveryOutcome, { kind: 'dead-letter' }>,
    attempt: number,
  ): Promise<void> {
    const id = randomUUID();
    const envelope = peekEnvelope(message.content);
    const dead = deadLetterHeaders({
      group: this.#context.options.group,
      id,
      reason: outcome.reason,
      error: outcome.error,
      attempts: attempt,
      headers,
      envelope,
    });
    const properties = messageProperties(dead, id, outcome.eventType ?? envelope.eventType);
    const queue = this.#context.names.deadLetterQueue(this.#context.options.group);
    return publishConfirmed(this.#channel, '', queue, message.content, properties);
  }

  #ack(message: ConsumeMessage): void {
    try {
      this.#channel.ack(message);
    } catch {
      // The channel closed meanwhile; the broker redelivers the message (at-least-once).
    }
  }

  #whenIdle(timeoutMs: number): Promise<void> {
    if (this.#running === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#idle.push(done);
    });
  }
}
