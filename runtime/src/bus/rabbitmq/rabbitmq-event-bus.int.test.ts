import { describeWithService } from '@eventsmith/test/support/services';
import { publishRawToRabbitMq, rabbitMqTestBus } from '@eventsmith/test/support/rabbitmq';
import { busConformanceSuite } from '../../testing/bus-conformance.js';
import type { RabbitMqEventBus } from './rabbitmq-event-bus.js';

await describeWithService('rabbitmq', 'RabbitMqEventBus', () => {
  busConformanceSuite('RabbitMqEventBus', async ({ registry }) => {
    const { bus, resources, cleanup } = await rabbitMqTestBus(registry, { rebalanceIntervalMs: 300 });
    const peers: RabbitMqEventBus[] = [];
    return {
      bus,
      publishRaw: (body) => publishRawToRabbitMq(bus.names.exchange, body),
      newerBus: async (newer) => {
        const peer = await rabbitMqTestBus(newer, { rebalanceIntervalMs: 300, namespace: resources.namespace });
        peers.push(peer.bus);
        return peer.bus;
      },
      teardown: async () => {
        await Promise.all(peers.map((peer) => peer.close()));
        await cleanup();
      },
    };
  });
});
