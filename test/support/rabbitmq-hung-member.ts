/**
 * A RabbitMQ group member in its own process, for the "kill a consumer before it acks" fault
 * test. Usage: `node --import tsx test/support/rabbitmq-hung-member.ts <url> <namespace> <group>`.
 * It prints `ready` once consuming and `got <eventId>` for each delivery, whose handler never
 * finishes, so the message stays unacknowledged until the process is killed.
 */
import { RabbitMqEventBus } from '@eventsmith/runtime/rabbitmq';
import { busConformanceRegistry } from '../../runtime/src/testing/bus-conformance-fixtures.js';

const [url, namespace, group] = process.argv.slice(2);
if (!url || !namespace || !group) {
  console.error('usage: rabbitmq-hung-member.ts <url> <namespace> <group>');
  process.exit(2);
}
const bus = await RabbitMqEventBus.connect({
  url,
  namespace,
  registry: busConformanceRegistry(),
  // Never hand partitions to the other member: only the kill may move them.
  rebalanceIntervalMs: 3_600_000,
  onError: () => {},
});
const subscription = bus.subscribe(
  ({ event }) => {
    console.log(`got ${event.eventId}`);
    return new Promise<void>(() => {});
  },
  { group },
);
await subscription.start();
console.log(`ready ${subscription.partitions.length}`);
