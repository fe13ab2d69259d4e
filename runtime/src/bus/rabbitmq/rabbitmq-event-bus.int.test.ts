import { describeWithService } from '../../../../test/support/services.js';
import { publishRawToRabbitMq, rabbitMqTestBus } from '../../../../test/support/rabbitmq.js';
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
