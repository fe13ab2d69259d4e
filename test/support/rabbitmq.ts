/**
 * Helpers for RabbitMQ bus tests: a bus on a fresh namespace whose exchange and queues are all
 * deleted afterwards, so tests never touch each other's resources on the shared broker.
 */
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import type { EventRegistry } from '@eventsmith/runtime';
import { RabbitMqEventBus, type RabbitMqEventBusOptions } from '@eventsmith/runtime/rabbitmq';

// Not imported from services.ts, which pulls in vitest: benchmarks use these helpers too.
const amqpUrl = () => process.env['AMQP_URL'] || 'amqp://guest:guest@127.0.0.1:5672';
const uniqueName = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

/** A namespace's resources, recorded as a bus declares them, for {@link deleteRabbitMqResources}. */
export interface RabbitMqResources {
  readonly namespace: string;
  readonly queues: Set<string>;
  readonly exchanges: Set<string>;
}

/**
 * A bus on a unique namespace. Every group it subscribes is recorded, so `cleanup()` can delete
 * the group's queues and exchanges (call it after `bus.close()`).
 */
export async function rabbitMqTestBus(
  registry: EventRegistry,
  options: Partial<RabbitMqEventBusOptions> & { namespace?: string } = {},
): Promise<{ bus: RabbitMqEventBus; resources: RabbitMqResources; cleanup: () => Promise<void> }> {
  const namespace = options.namespace ?? uniqueName('es_test');
  const bus = await RabbitMqEventBus.connect({
    url: amqpUrl(),
    onError: () => {},
    ...options,
    registry,
    namespace,
  });
  const resources = recordResources(bus);
  return { bus, resources, cleanup: () => deleteRabbitMqResources(resources) };
}

/** Wraps `bus.subscribe` so each group's resource names are recorded in the returned set. */
export function recordResources(bus: RabbitMqEventBus, into?: RabbitMqResources): RabbitMqResources {
  const resources = into ?? { namespace: bus.names.namespace, queues: new Set<string>(), exchanges: new Set<string>() };
  resources.exchanges.add(bus.names.exchange);
  const subscribe = bus.subscribe.bind(bus);
  bus.subscribe = (handler, options) => {
    const subscription = subscribe(handler, options);
    const { group, partitions, delaysMs } = subscription.topology;
    for (let p = 0; p < partitions; p++) resources.queues.add(bus.names.partitionQueue(group, p));
    for (const ms of delaysMs) resources.queues.add(bus.names.delayQueue(group, ms));
    resources.queues.add(bus.names.deadLetterQueue(group));
    resources.queues.add(bus.names.presenceQueue(group));
    resources.exchanges.add(bus.names.delayExchange(group));
    return subscription;
  };
  return resources;
}

/** Deletes recorded queues and exchanges (missing ones are fine). */
export async function deleteRabbitMqResources(resources: RabbitMqResources): Promise<void> {
  const connection = await amqp.connect(amqpUrl());
  try {
    for (const queue of resources.queues) await withChannel(connection, (ch) => ch.deleteQueue(queue));
    for (const exchange of resources.exchanges) await withChannel(connection, (ch) => ch.deleteExchange(exchange));
  } finally {
    await connection.close();
  }
}

async function withChannel(
  connection: amqp.ChannelModel,
  fn: (channel: amqp.Channel) => Promise<unknown>,
): Promise<void> {
  const channel = await connection.createChannel();
  channel.on('error', () => {});
  try {
    await fn(channel);
  } catch {
    // Already gone.
  } finally {
    await channel.close().catch(() => {});
  }
}

/** Publishes a raw body to a namespace's exchange, as a foreign producer would (no eventsmith headers). */
export async function publishRawToRabbitMq(exchange: string, body: string): Promise<void> {
  const connection = await amqp.connect(amqpUrl());
  try {
    const channel = await connection.createConfirmChannel();
    await new Promise<void>((resolve, reject) =>
      channel.publish(exchange, '0.foreign.raw', Buffer.from(body), { persistent: true }, (error: unknown) =>
        error ? reject(error) : resolve(),
      ),
    );
  } finally {
    await connection.close();
  }
}
