/** Disposable Redis buses for tests: a unique key prefix per bus, every key deleted afterwards. */
import { Redis } from 'ioredis';
import type { EventRegistry } from '../../runtime/src/events/event-registry.js';
import { RedisEventBus, type RedisEventBusOptions } from '../../runtime/src/bus/redis/redis-event-bus.js';
import { serviceUrl, uniqueName } from './services.js';

/** Options that make leases, rebalancing and retries quick enough for tests. */
export const FAST_REDIS_BUS: Partial<RedisEventBusOptions> = {
  partitions: 8,
  leaseTtlMs: 3000,
  balanceIntervalMs: 150,
  claimIdleMs: 4000,
  retryPollMs: 20,
  onError: () => {},
};

export interface RedisTestBus {
  readonly bus: RedisEventBus;
  readonly prefix: string;
  /** A plain client on the real server (not through any proxy), for inspection and cleanup. */
  readonly admin: Redis;
  /** Another bus on the same prefix (another process of the same service). */
  peer(overrides?: Partial<RedisEventBusOptions>): RedisEventBus;
  cleanup(): Promise<void>;
}

export async function redisTestBus(
  registry: EventRegistry,
  overrides: Partial<RedisEventBusOptions> = {},
): Promise<RedisTestBus> {
  const admin = new Redis(serviceUrl('redis')!);
  const prefix = uniqueName('es_test_bus');
  const peers: RedisEventBus[] = [];
  const make = (more: Partial<RedisEventBusOptions>) => {
    const bus = new RedisEventBus({ redis: admin, registry, stream: prefix, ...FAST_REDIS_BUS, ...overrides, ...more });
    peers.push(bus);
    return bus;
  };
  const bus = make({});
  return {
    bus,
    prefix,
    admin,
    peer: make,
    cleanup: async () => {
      await Promise.all(peers.map((p) => p.close()));
      await deleteKeys(admin, `${prefix}:*`);
      await admin.quit();
    },
  };
}

export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}
