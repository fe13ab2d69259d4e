import { describeWithService } from '../../../../test/support/services.js';
import { redisTestBus } from '../../../../test/support/redis-bus.js';
import { busConformanceSuite } from '../../testing/bus-conformance.js';

await describeWithService('redis', 'RedisEventBus', () => {
  busConformanceSuite('RedisEventBus', async ({ registry }) => {
    const { bus, admin, cleanup } = await redisTestBus(registry);
    return {
      bus,
      publishRaw: async (body) => {
        await admin.xadd(bus.keys.stream(0), '*', 'key', 'raw', 'body', body);
      },
      teardown: cleanup,
    };
  });
});
