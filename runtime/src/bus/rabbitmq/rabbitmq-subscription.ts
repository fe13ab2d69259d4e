import type { Channel, ChannelModel } from 'amqplib';
import type { EventRegistry } from '../../events/event-registry.js';
import { backoffDelay } from '../../retry/backoff.js';
import { busBackoff, type ResolvedSubscribeOptions } from '../deliver.js';
import type { BusHandler, BusSubscription } from '../event-bus.js';
import type { RabbitMqConnection } from './rabbitmq-connection.js';
import { RabbitMqTopologyError } from './rabbitmq-errors.js';
import { RabbitMqPartitionConsumer, type PartitionConsumerContext } from './rabbitmq-partition-consumer.js';
import { declareGroup, type GroupTopology, type RabbitMqNames } from './rabbitmq-names.js';

/** What a subscription needs from its bus. */
export interface RabbitMqSubscriptionContext {
  readonly connection: RabbitMqConnection;
  readonly names: RabbitMqNames;
  readonly registry: EventRegistry;
  readonly partitions: number;
  readonly prefetch: number;
  readonly stopTimeoutMs: number;
  readonly rebalanceIntervalMs: number;
  /** Opens the bus's connection if it is not open yet. */
  open(): Promise<void>;
  readonly onError: (error: unknown) => void;
}

/**
 * One member of a consumer group. The group's partition queues are shared out between its live
 * members: each member consumes at most ⌈partitions / members⌉ of them and gives up the rest,
 * and any partition nobody consumes is claimed within a rebalance interval (so a member that
 * stops or dies is replaced by itself). Members count themselves by consuming the group's
 * presence queue, whose consumer count the broker reports.
 *
 * The partition queues have `x-single-active-consumer`, so even if two members attach to one
 * queue at the same moment only one receives its messages. A member hands a partition over only
 * after its running handlers finished, which keeps each aggregate's order across the handover.
 */
export class RabbitMqSubscription implements BusSubscription {
  /** The group's topology, declared on every (re)connection. */
  readonly topology: GroupTopology;
  readonly #context: RabbitMqSubscriptionContext;
  readonly #consumerContext: PartitionConsumerContext;
  readonly #owned = new Map<number, RabbitMqPartitionConsumer>();
  readonly #releasing = new Set<Promise<void>>();
  /** Rebalance rounds in a row each partition was seen without a consumer. */
  readonly #uncovered = new Map<number, number>();
  #state: 'idle' | 'running' | 'stopping' = 'idle';
  #control: Channel | undefined;
  #removeListener: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #rebalancing: Promise<void> | undefined;

  constructor(context: RabbitMqSubscriptionContext, handler: BusHandler, options: ResolvedSubscribeOptions) {
    this.#context = context;
    // Fixed delays (no jitter): each distinct delay is a delay queue of the group's topology.
    const backoff = busBackoff(options, 0);
    // A message of a newer schema version is retried past maxAttempts (never dead-lettered): it
    // waits in the longest delay queue there is rather than in one the topology does not have.
    const longest = Math.max(1, options.maxAttempts - 1);
    const retryDelay = (attempt: number) => backoffDelay(backoff, Math.min(attempt, longest));
    this.#consumerContext = {
      names: context.names,
      registry: context.registry,
      handler,
      options,
      prefetch: context.prefetch,
      onError: context.onError,
      retryDelay,
      holdDelayMs: retryDelay(1),
    };
    const delays = new Set([retryDelay(1)]);
    for (let attempt = 1; attempt < options.maxAttempts; attempt++) delays.add(retryDelay(attempt));
    const { registry } = context;
    this.topology = {
      group: options.group,
      partitions: context.partitions,
      eventTypeNames: options.eventTypes && [
        ...new Set(
          [...options.eventTypes].flatMap((type) => (registry.has(type) ? registry.typeNamesFor(type) : [type])),
        ),
      ],
      aggregateTypes: options.aggregateTypes && [...options.aggregateTypes],
      delaysMs: [...delays].sort((a, b) => a - b),
    };
  }

  /** Partitions this member consumes right now (for monitoring and tests). */
  get partitions(): number[] {
    return [...this.#owned.keys()].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    if (this.#state === 'running') return;
    if (this.#state === 'stopping')
      throw new Error('RabbitMQ subscription is stopping; await stop() before starting it again.');
    this.#state = 'running';
    try {
      await this.#context.open();
      this.#removeListener = await this.#context.connection.addListener((model) => this.#join(model));
    } catch (error) {
      this.#state = 'idle';
      throw error;
    }
    this.#schedule();
  }

  async stop(timeoutMs: number = this.#context.stopTimeoutMs): Promise<void> {
    if (this.#state !== 'running') return;
    this.#state = 'stopping';
    this.#removeListener?.();
    clearTimeout(this.#timer);
    await this.#rebalancing?.catch(() => {});
    for (const consumer of [...this.#owned.values()]) this.#release(consumer, timeoutMs);
    await Promise.allSettled([...this.#releasing]);
    await this.#control?.close().catch(() => {});
    this.#control = undefined;
    this.#state = 'idle';
  }

  /** On every (re)connection: declare the topology, announce this member, claim partitions. */
  async #join(model: ChannelModel): Promise<void> {
    if (this.#state !== 'running') return;
    const control = await model.createChannel();
    control.on('error', (error: unknown) => this.#context.onError(error));
    control.on('close', () => {
      if (this.#control === control) this.#control = undefined;
    });
    try {
      await declareGroup(control, this.#context.names, this.topology);
    } catch (error) {
      throw new RabbitMqTopologyError(`group ${this.topology.group}`, (error as Error).message, { cause: error });
    }
    const presence = this.#context.names.presenceQueue(this.topology.group);
    await control.consume(presence, () => {}, { noAck: true });
    this.#control = control;
    await this.#rebalance(model, control);
  }

  #schedule(): void {
    if (this.#state !== 'running') return;
    const interval = this.#context.rebalanceIntervalMs * (0.75 + Math.random() * 0.5);
    this.#timer = setTimeout(() => {
      const model = this.#context.connection.model;
      const control = this.#control;
      if (model && control) {
        this.#rebalancing = this.#rebalance(model, control)
          .catch((error: unknown) => this.#context.onError(error))
          .finally(() => {
            this.#rebalancing = undefined;
            this.#schedule();
          });
      } else {
        this.#schedule();
      }
    }, interval);
  }

  async #rebalance(model: ChannelModel, control: Channel): Promise<void> {
    const { names, partitions } = this.#context;
    const group = this.topology.group;
    const members = Math.max(1, (await control.checkQueue(names.presenceQueue(group))).consumerCount);
    const fairShare = Math.ceil(partitions / members);
    const consumers = await Promise.all(
      Array.from(
        { length: partitions },
        async (_, p) => (await control.checkQueue(names.partitionQueue(group, p))).consumerCount,
      ),
    );
    if (this.#state !== 'running') return;

    // Give up partitions beyond the fair share, and (at random, so two members don't both yield)
    // partitions another member consumes too.
    let kept = this.#owned.size;
    for (const consumer of shuffle([...this.#owned.values()])) {
      if (kept > fairShare || (consumers[consumer.partition]! > 1 && Math.random() < 0.5)) {
        kept--;
        this.#release(consumer, this.#context.stopTimeoutMs);
      }
    }
    // Claim partitions nobody consumes, up to the fair share; one left uncovered for two rounds
    // is claimed regardless (members may be miscounted while they come and go).
    for (const partition of shuffle(Array.from({ length: partitions }, (_, p) => p))) {
      if (consumers[partition]! > 0 || this.#owned.has(partition)) {
        this.#uncovered.delete(partition);
        continue;
      }
      const rounds = (this.#uncovered.get(partition) ?? 0) + 1;
      this.#uncovered.set(partition, rounds);
      if (kept >= fairShare && rounds < 3) continue;
      if (await this.#claim(model, partition)) kept++;
    }
  }

  async #claim(model: ChannelModel, partition: number): Promise<boolean> {
    if (this.#state !== 'running' || this.#owned.has(partition)) return false;
    try {
      const consumer = await RabbitMqPartitionConsumer.attach(model, this.#consumerContext, partition, () => {
        if (this.#owned.get(partition) === consumer) this.#owned.delete(partition);
      });
      if (this.#state !== 'running') {
        await consumer.release(0);
        return false;
      }
      if (consumer.isClosed) return false;
      this.#owned.set(partition, consumer);
      this.#uncovered.delete(partition);
      return true;
    } catch (error) {
      if (this.#context.connection.isCurrent(model)) this.#context.onError(error);
      return false;
    }
  }

  #release(consumer: RabbitMqPartitionConsumer, timeoutMs: number): void {
    const released = consumer.release(timeoutMs).finally(() => this.#releasing.delete(released));
    this.#releasing.add(released);
  }
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
