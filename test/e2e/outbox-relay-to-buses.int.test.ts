/**
 * The outbox relay publishes stored records (EventRecord, not live events) to every bus; a group
 * on the bus receives each event once, upcast, in per-aggregate order.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EventBus } from '../../runtime/src/bus/event-bus.js';
import { KafkaEventBus } from '../../runtime/src/bus/kafka/kafka-event-bus.js';
import { InMemoryEventBus } from '../../runtime/src/bus/memory/in-memory-event-bus.js';
import { InMemoryOutboxStore } from '../../runtime/src/outbox/in-memory-outbox-store.js';
import { OutboxRelay } from '../../runtime/src/outbox/outbox-relay.js';
import { InMemoryEventStore } from '../../runtime/src/store/memory/in-memory-event-store.js';
import {
  busConformanceRegistry,
  DeliveryRecorder,
  orderPlaced,
  waitFor,
} from '../../runtime/src/testing/bus-conformance.js';
import { kafkaTestTarget } from '../support/kafka-mock.js';
import { natsTestBus } from '../support/nats-bus.js';
import { rabbitMqTestBus } from '../support/rabbitmq.js';
import { redisTestBus } from '../support/redis-bus.js';
import { describeWithService, uniqueName } from '../support/services.js';

const registry = busConformanceRegistry();
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

async function relayThrough(bus: EventBus): Promise<void> {
  const store = new InMemoryEventStore({ registry });
  const outbox = new InMemoryOutboxStore();
  const got = new DeliveryRecorder();
  const subscription = bus.subscribe(got.handler, { group: 'relay_check' });
  await subscription.start();
  const relay = new OutboxRelay(outbox, bus, { pollIntervalMs: 20, batchSize: 25 });
  relay.start();
  cleanups.push(async () => {
    await relay.stop();
    await subscription.stop(1000);
  });

  const aggregates = ['relay-a', 'relay-b', 'relay-c'];
  for (let version = 1; version <= 20; version++) {
    await store.transaction(async (tx) => {
      const events = aggregates.map((id) => orderPlaced(id, version));
      for (const event of events)
        await tx.appendToStream(`Order-${event.aggregateId}`, [event], { expectedVersion: version - 1 });
      await outbox.add(events, { transaction: tx });
    });
  }
  relay.notify();

  await waitFor(() => got.deliveries.length >= 60, 20_000, 'every relayed event');
  for (const id of aggregates) expect(got.versionsOf(id)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  // A delivery can arrive before the relay has counted its publish confirm.
  await waitFor(() => relay.published >= 60, 5_000, 'the relay to count every publish');
  expect(relay.published).toBe(60);
}

it('relays the outbox to the in-memory bus', async () => {
  const bus = new InMemoryEventBus({ registry });
  cleanups.push(() => bus.close());
  await relayThrough(bus);
});

await describeWithService('redis', 'outbox relay → Redis', () => {
  it('relays the outbox to the Redis bus', async () => {
    const { bus, cleanup } = await redisTestBus(registry);
    cleanups.push(cleanup);
    await relayThrough(bus);
  }, 60_000);
});

await describeWithService('nats', 'outbox relay → NATS', () => {
  it('relays the outbox to the NATS bus', async () => {
    const { bus, cleanup } = await natsTestBus(registry);
    cleanups.push(cleanup);
    await relayThrough(bus);
  }, 60_000);
});

await describeWithService('rabbitmq', 'outbox relay → RabbitMQ', () => {
  it('relays the outbox to the RabbitMQ bus', async () => {
    const { bus, cleanup } = await rabbitMqTestBus(registry);
    cleanups.push(async () => {
      await bus.close();
      await cleanup();
    });
    await relayThrough(bus);
  }, 60_000);
});

// Kafka: a real cluster when KAFKA_BROKERS is set, else librdkafka's mock cluster via kcat (see README).
const kafka = await kafkaTestTarget();
if (kafka.kind === 'none') {
  describe.skip(`outbox relay → Kafka [skipped: ${kafka.reason}]`, () => {
    it('relays the outbox to the Kafka bus', () => {});
  });
} else {
  afterAll(() => kafka.stop());
  describe(`outbox relay → Kafka (${kafka.kind === 'mock' ? 'librdkafka mock cluster' : kafka.brokers.join(',')})`, () => {
    it('relays the outbox to the Kafka bus', async () => {
      const topic = `${uniqueName('es_test')}.events`;
      const bus = new KafkaEventBus({
        brokers: kafka.brokers,
        registry,
        topic,
        sessionTimeoutMs: 6_000,
        maxWaitTimeInMs: 50,
        onError: () => {},
      });
      cleanups.push(() => bus.close());
      await relayThrough(bus);
    }, 90_000);
  });
}
