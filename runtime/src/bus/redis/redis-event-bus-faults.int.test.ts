import { Redis } from 'ioredis';
import { busFaultSuite } from '../../../../test/support/bus-faults.js';
import { FAST_REDIS_BUS, redisTestBus } from '../../../../test/support/redis-bus.js';
import { describeWithService, hostPort, serviceUrl } from '../../../../test/support/services.js';
import { RedisEventBus } from './redis-event-bus.js';

await describeWithService('redis', 'RedisEventBus faults', () => {
  busFaultSuite('RedisEventBus', async (registry) => {
    const fixture = await redisTestBus(registry);
    const clients: Redis[] = [];
    return {
      target: hostPort(serviceUrl('redis')!, 6379),
      takeoverMs: FAST_REDIS_BUS.leaseTtlMs!,
      proxied: async (proxy) => {
        const client = new Redis({ host: proxy.host, port: proxy.port, maxRetriesPerRequest: null });
        client.on('error', () => {});
        clients.push(client);
        const bus = new RedisEventBus({ redis: client, registry, stream: fixture.prefix, ...FAST_REDIS_BUS });
        return bus;
      },
      direct: async () => fixture.peer(),
      cleanup: async () => {
        await fixture.cleanup();
        for (const c of clients) c.disconnect();
      },
    };
  });
});
