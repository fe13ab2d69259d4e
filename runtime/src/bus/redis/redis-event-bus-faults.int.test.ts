import { createServer, type AddressInfo } from 'node:net';
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
import { BusUnavailableError, type BusPublishError } from '../bus-errors.js';
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

  it('reports an unreachable Redis and a refused login as BusUnavailableError, with no password in it', async () => {
    const registry = busConformanceRegistry();
    const { host } = hostPort(serviceUrl('redis')!, 6379);
    const closedPort = await freePort();
    // One retry per command, so the commands give up quickly (the default, 20, takes ~10 s).
    const unreachable = new Redis({ host, port: closedPort, password: 'audit-secret', maxRetriesPerRequest: 1 });
    unreachable.on('error', () => {});
    const down = new RedisEventBus({ redis: unreachable, registry, stream: 'es_test_down', onError: () => {} });
    const server = hostPort(serviceUrl('redis')!, 6379);
    const login = new Redis({
      ...server,
      username: 'es-test-nobody',
      password: 'audit-secret',
      maxRetriesPerRequest: 1,
    });
    login.on('error', () => {});
    const refused = new RedisEventBus({ redis: login, registry, stream: 'es_test_refused', onError: () => {} });
    cleanups.push(async () => {
      await down.close();
      await refused.close();
      unreachable.disconnect();
      login.disconnect();
    });

    for (const [bus, reason, where] of [
      [down, 'unreachable', `${host}:${closedPort}`],
      [refused, 'authentication', `${server.host}:${server.port}`],
    ] as const) {
      const failures = [
        await bus
          .subscribe(() => {}, { group: 'g' })
          .start()
          .catch((e: unknown) => e),
        await bus.deadLetters('g').catch((e: unknown) => e),
        await bus.replayDeadLetter('g', '1-0').catch((e: unknown) => e),
        ((await bus.publish([orderPlaced('down', 1)]).catch((e: unknown) => e)) as BusPublishError).cause,
      ];
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(BusUnavailableError);
        expect(failure).toMatchObject({ code: 'BUS.UNAVAILABLE', bus: 'Redis', reason });
        expect((failure as Error).message).toContain(where);
        expect((failure as Error).message).not.toContain('audit-secret');
        expect((failure as Error).message).not.toMatch(/max retries per request/);
      }
    }
  });
});

async function pendingCount(redis: Redis, prefix: string, group: string): Promise<number> {
  const [count] = (await redis.call('XPENDING', `${prefix}:stream:0`, group)) as [number];
  return Number(count);
}

/** A local port nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
