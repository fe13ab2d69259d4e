import { afterAll, beforeEach, describe } from 'vitest';
import { kafkaTestTarget, retryMockSyncRace } from '@eventsmith/test/support/kafka-mock';
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
  // What kafkajs and the bus reported during a test, printed only when the test fails: a group that
  // does not join (or rebalances for ever) is otherwise a bare timeout.
  let clientLog: string[] = [];
  const note = (line: string) => {
    clientLog.push(`${new Date().toISOString()} ${line}`);
    if (clientLog.length > 400) clientLog.splice(0, clientLog.length - 400);
  };
  beforeEach((context) => {
    clientLog = [];
    context.onTestFailed(() => {
      console.error(
        `Kafka client log of "${context.task.name}" (last ${clientLog.length} lines):\n${clientLog.join('\n')}`,
      );
    });
  });
  busConformanceSuite(
    `KafkaEventBus (${target.kind === 'mock' ? 'librdkafka mock cluster' : target.brokers.join(',')})`,
    async ({ registry }) => {
      const { logLevel } = await import('kafkajs');
      const topic = `${uniqueName('es_test')}.events`;
      const bus = retryMockSyncRace(
        target,
        new KafkaEventBus({
          brokers: target.brokers,
          registry,
          topic,
          sessionTimeoutMs: 6_000,
          // The mock coordinator elects after a fixed delay per round (session − 1 s); leave room for
          // a few rounds on a loaded machine.
          joinTimeoutMs: 75_000,
          maxWaitTimeInMs: 50,
          onError: (error) => note(`bus error: ${error instanceof Error ? error.message : String(error)}`),
          kafka: {
            logLevel: logLevel.INFO,
            logCreator:
              () =>
              ({ namespace, label, log }) => {
                const { message, error, groupId, memberId } = log as Record<string, unknown>;
                note(
                  `${label} ${namespace} ${String(message)}${groupId ? ` group=${String(groupId)}` : ''}${memberId ? ` member=${String(memberId)}` : ''}${error ? ` error=${String(error)}` : ''}`,
                );
              },
          },
        }),
        (error) => note(`retrying start after the mock's SyncGroup race: ${String(error)}`),
      );
      return {
        bus,
        publishRaw: async (body) => {
          const { Kafka } = await import('kafkajs');
          const producer = new Kafka({ brokers: target.brokers, logLevel: logLevel.NOTHING }).producer();
          await producer.connect();
          await producer.send({ topic, messages: [{ value: body }] });
          await producer.disconnect();
        },
        teardown: async () => {
          const { Kafka } = await import('kafkajs');
          const admin = new Kafka({ brokers: target.brokers, logLevel: logLevel.NOTHING }).admin();
          await admin.connect();
          const topics = (await admin.listTopics().catch(() => [] as string[])).filter((t) => t.startsWith(topic));
          await admin.deleteTopics({ topics }).catch(() => {}); // the mock cluster cannot delete topics; it dies with kcat
          await admin.disconnect();
        },
      };
    },
    { timeoutMs: 45_000 },
  );
}
