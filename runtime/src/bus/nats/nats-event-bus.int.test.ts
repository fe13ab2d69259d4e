import { describeWithService } from '../../../../test/support/services.js';
import { natsTestBus } from '../../../../test/support/nats-bus.js';
import { busConformanceSuite } from '../../testing/bus-conformance.js';

await describeWithService('nats', 'NatsEventBus', () => {
  busConformanceSuite('NatsEventBus', async ({ registry }) => {
    const { bus, cleanup } = await natsTestBus(registry);
    return { bus, publishRaw: (body) => bus.publishRaw(body), teardown: cleanup };
  });
});
