import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { busFaultSuite } from '@eventsmith/test/support/bus-faults';
import { FAST_REDIS_BUS, redisTestBus } from '@eventsmith/test/support/redis-bus';
import { describeWithService, hostPort, serviceUrl } from '@eventsmith/test/support/services';
import { startTcpProxy, type TcpProxy } from '@eventsmith/test/support/tcp-proxy';
import {
  busConformanceRegistry,
  DeliveryRecorder,
  orderPlaced,
  sleep,
  waitFor,
} from '../../testing/bus-conformance.js';
import type { BusSubscription } from '../event-bus.js';
import { RedisEventBus } from './redis-event-bus.js';

await describeWithService('redis', 'RedisEventBus faults', () => {
  busFaultSuite('RedisEventBus', async (registry) => {
    const fixture = await redisTestBus(registry);
    const clients: Redis[] = [];
    const buses: RedisEventBus[] = [];
    return {
      target: hostPort(serviceUrl('redis')!, 6379),
      takeoverMs: FAST_REDIS_BUS.leaseTtlMs!,
      proxied: async (proxy) => {
        const client = new Redis({ host: proxy.host, port: proxy.port, maxRetriesPerRequest: null });
        client.on('error', () => {});
        clients.push(client);
        const bus = new RedisEventBus({ redis: client, registry, stream: fixture.prefix, ...FAST_REDIS_BUS });
        buses.push(bus);
        return bus;
      },
      direct: async () => fixture.peer(),
      cleanup: async () => {
        // Bounded even for a bus whose proxy was cut (see RedisEventBus.close).
        await Promise.all(buses.map((bus) => bus.close()));
        await fixture.cleanup();
        for (const c of clients) c.disconnect();
      },
    };
  });

  // ioredis sends a command again after a reconnect. When the lost command was a blocking
  // XREADGROUP, Redis had already put its entries in our pending list; the resend returns the
  // *next* entries. They must not overtake the lost ones.
  let cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    cleanups = [];
  });

  it('keeps per-aggregate order when a read reply is lost and ioredis resends the read', async () => {
    const registry = busConformanceRegistry();
    // One partition and a long claim timeout: only the pending-list rescan can recover the lost entry in time.
    const fixture = await redisTestBus(registry, { partitions: 1, claimIdleMs: 60_000 });
    const proxy: TcpProxy = await startTcpProxy(hostPort(serviceUrl('redis')!, 6379));
    const client = new Redis({ host: proxy.host, port: proxy.port, maxRetriesPerRequest: null });
    client.on('error', () => {});
    const consumerBus = new RedisEventBus({
      redis: client,
      registry,
      stream: fixture.prefix,
      ...FAST_REDIS_BUS,
      partitions: 1,
      claimIdleMs: 60_000,
    });
    let subscription: BusSubscription | undefined;
    cleanups.push(async () => {
      await subscription?.stop(500);
      await consumerBus.close();
      client.disconnect();
      await fixture.cleanup();
      await proxy.close();
    });

    const got = new DeliveryRecorder();
    subscription = consumerBus.subscribe(got.handler, { group: 'lost_reply' });
    await subscription.start();
    const warmup = orderPlaced('warmup', 1);
    await fixture.bus.publish([warmup]);
    await waitFor(() => got.ids().includes(warmup.eventId), 10_000, 'the consumer to be reading');
    await sleep(100); // the reader is blocked in XREADGROUP again

    proxy.blackhole();
    const first = orderPlaced('lost-reply', 1);
    await fixture.bus.publish([first]); // served to the blocked read; the reply vanishes
    await waitFor(
      async () => (await pendingCount(fixture.admin, `${fixture.prefix}`, 'lost_reply')) === 1,
      10_000,
      'the first event to be pending',
    );
    const second = orderPlaced('lost-reply', 2);
    await fixture.bus.publish([second]);
    proxy.cut();
    await sleep(200);
    proxy.restore();

    await waitFor(() => got.versionsOf('lost-reply').length >= 2, 20_000, 'both events after the reconnect');
    expect(got.versionsOf('lost-reply').slice(0, 2)).toEqual([1, 2]);
  }, 60_000);
});

async function pendingCount(redis: Redis, prefix: string, group: string): Promise<number> {
  const [count] = (await redis.call('XPENDING', `${prefix}:stream:0`, group)) as [number];
  return Number(count);
}
