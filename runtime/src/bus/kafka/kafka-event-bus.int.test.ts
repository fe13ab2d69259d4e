import { afterAll, describe } from 'vitest';
import { kafkaTestTarget } from '@eventsmith/test/support/kafka-mock';
import { uniqueName } from '@eventsmith/test/support/services';
import { busConformanceSuite } from '../../testing/bus-conformance.js';
import { KafkaEventBus } from './kafka-event-bus.js';

const target = await kafkaTestTarget();

if (target.kind === 'none') {
  describe.skip(`KafkaEventBus [skipped: ${target.reason}]`, () => {
    busConformanceSuite('KafkaEventBus', async () => {
      throw new Error('unreachable');
    });
  });
} else {
  afterAll(() => target.stop());
  busConformanceSuite(
    `KafkaEventBus (${target.kind === 'mock' ? 'librdkafka mock cluster' : target.brokers.join(',')})`,
    async ({ registry }) => {
      const topic = `${uniqueName('es_test')}.events`;
      const bus = new KafkaEventBus({
        brokers: target.brokers,
        registry,
        topic,
        sessionTimeoutMs: 6_000,
        maxWaitTimeInMs: 50,
        onError: () => {},
      });
      return {
        bus,
        publishRaw: async (body) => {
          const { Kafka, logLevel } = await import('kafkajs');
          const producer = new Kafka({ brokers: target.brokers, logLevel: logLevel.NOTHING }).producer();
          await producer.connect();
          await producer.send({ topic, messages: [{ value: body }] });
          await producer.disconnect();
        },
        teardown: async () => {
          const { Kafka, logLevel } = await import('kafkajs');
          const admin = new Kafka({ brokers: target.brokers, logLevel: logLevel.NOTHING }).admin();
          await admin.connect();
          const topics = (await admin.listTopics().catch(() => [] as string[])).filter((t) => t.startsWith(topic));
          await admin.deleteTopics({ topics }).catch(() => {}); // the mock cluster cannot delete topics; it dies with kcat
          await admin.disconnect();
        },
      };
    },
    { timeoutMs: 30_000 },
  );
}
