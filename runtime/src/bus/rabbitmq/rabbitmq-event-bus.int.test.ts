import { describeWithService } from '@eventsmith/test/support/services';
import { publishRawToRabbitMq, rabbitMqTestBus } from '@eventsmith/test/support/rabbitmq';
import { busConformanceSuite } from '../../testing/bus-conformance.js';

await describeWithService('rabbitmq', 'RabbitMqEventBus', () => {
  busConformanceSuite('RabbitMqEventBus', async ({ registry }) => {
    const { bus, cleanup } = await rabbitMqTestBus(registry, { rebalanceIntervalMs: 300 });
    return {
      bus,
      publishRaw: (body) => publishRawToRabbitMq(bus.names.exchange, body),
      teardown: cleanup,
    };
  });
});
