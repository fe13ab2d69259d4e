import type { Channel } from 'amqplib';

/**
 * Names of every RabbitMQ resource the bus uses. One topic exchange per namespace; per consumer
 * group, `partitions` durable queues (single active consumer each), a headers exchange with one
 * TTL queue per backoff step, a dead-letter queue and a presence queue that counts the members.
 *
 * @example
 * ```ts
 * const names = rabbitMqNames('shop');
 * names.exchange;                     // 'shop.events'
 * names.partitionQueue('billing', 3); // 'shop.billing.p3'
 * names.deadLetterQueue('billing');   // 'shop.billing.dead-letters'
 * ```
 */
export interface RabbitMqNames {
  readonly namespace: string;
  /** The topic exchange every event is published to. */
  readonly exchange: string;
  partitionQueue(group: string, partition: number): string;
  /** The headers exchange that routes a retrying message into the TTL queue of its backoff step. */
  delayExchange(group: string): string;
  delayQueue(group: string, delayMs: number): string;
  deadLetterQueue(group: string): string;
  /** Never holds messages: each live member of the group consumes it, so its consumer count is the member count. */
  presenceQueue(group: string): string;
}

export function rabbitMqNames(namespace: string): RabbitMqNames {
  return {
    namespace,
    exchange: `${namespace}.events`,
    partitionQueue: (group, partition) => `${namespace}.${group}.p${partition}`,
    delayExchange: (group) => `${namespace}.${group}.delay`,
    delayQueue: (group, delayMs) => `${namespace}.${group}.delay.${delayMs}ms`,
    deadLetterQueue: (group) => `${namespace}.${group}.dead-letters`,
    presenceQueue: (group) => `${namespace}.${group}.members`,
  };
}

/** Header that selects the delay queue in the group's delay exchange. */
export const DELAY_HEADER = 'eventsmith-delay-ms';

/**
 * The partition of an aggregate key: FNV-1a (32 bit) of its UTF-8 bytes, modulo `partitions`.
 * Every publisher and consumer of a namespace must use the same partition count.
 */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(key, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** `"<partition>.<aggregateType>.<eventType>"`, each word escaped so it holds no `.`, `*` or `#`. */
export function routingKey(partition: number, aggregateType: string, eventType: string): string {
  return `${partition}.${word(aggregateType)}.${word(eventType)}`;
}

/** Binding keys of one partition queue for a group's filters (every name an alias may carry included). */
export function bindingKeys(
  partition: number,
  eventTypeNames: readonly string[] | undefined,
  aggregateTypes: readonly string[] | undefined,
): string[] {
  const aggregates = aggregateTypes?.map(word) ?? ['*'];
  const events = eventTypeNames?.map(word) ?? ['*'];
  if (!eventTypeNames && !aggregateTypes) return [`${partition}.#`];
  return aggregates.flatMap((a) => events.map((e) => `${partition}.${a}.${e}`));
}

function word(value: string): string {
  return value.replace(/[%.*#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) || '%00';
}

/** Declares the namespace's topic exchange. Idempotent. */
export async function declareExchange(channel: Channel, names: RabbitMqNames): Promise<void> {
  await channel.assertExchange(names.exchange, 'topic', { durable: true });
}

export interface GroupTopology {
  readonly group: string;
  readonly partitions: number;
  readonly eventTypeNames: readonly string[] | undefined;
  readonly aggregateTypes: readonly string[] | undefined;
  /** Every TTL the group's retries and holds use. */
  readonly delaysMs: readonly number[];
}

/**
 * Declares a group's queues, exchanges and bindings. Idempotent, so it runs again after every
 * reconnection. Bindings are only ever added: narrowing a group's filters later leaves the old
 * bindings in place (the consumer still filters, so nothing wrong is handled).
 */
export async function declareGroup(channel: Channel, names: RabbitMqNames, topology: GroupTopology): Promise<void> {
  const { group } = topology;
  await declareExchange(channel, names);
  for (let partition = 0; partition < topology.partitions; partition++) {
    const queue = names.partitionQueue(group, partition);
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-single-active-consumer': true } });
    for (const key of bindingKeys(partition, topology.eventTypeNames, topology.aggregateTypes)) {
      await channel.bindQueue(queue, names.exchange, key);
    }
  }
  await channel.assertExchange(names.delayExchange(group), 'headers', { durable: true });
  for (const delayMs of topology.delaysMs) {
    const queue = names.delayQueue(group, delayMs);
    // Expired messages are dead-lettered to the default exchange under their own routing key,
    // which is the name of the partition queue they came from.
    await channel.assertQueue(queue, {
      durable: true,
      arguments: { 'x-message-ttl': delayMs, 'x-dead-letter-exchange': '' },
    });
    await channel.bindQueue(queue, names.delayExchange(group), '', {
      'x-match': 'all',
      [DELAY_HEADER]: String(delayMs),
    });
  }
  await channel.assertQueue(names.deadLetterQueue(group), { durable: true });
  await channel.assertQueue(names.presenceQueue(group), { durable: true });
}
