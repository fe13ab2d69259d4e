/** Disposable NATS buses for tests: a unique stream per bus; streams, consumers and the lease bucket deleted afterwards. */
import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import type { EventRegistry } from '../../runtime/src/events/event-registry.js';
import { NatsEventBus, type NatsEventBusOptions } from '../../runtime/src/bus/nats/nats-event-bus.js';
import { hostPort, serviceUrl, uniqueName } from './services.js';

/** Options that make leases, rebalancing and redeliveries quick enough for tests. */
export const FAST_NATS_BUS: Partial<NatsEventBusOptions> = {
  partitions: 8,
  leaseTtlMs: 3000,
  balanceIntervalMs: 150,
  ackWaitMs: 3000,
  onError: () => {},
};

export function natsServer(): { host: string; port: number } {
  return hostPort(serviceUrl('nats')!, 4222);
}

export async function natsConnection(options: ConnectionOptions = {}): Promise<NatsConnection> {
  const { host, port } = natsServer();
  return connect({ servers: `${host}:${port}`, maxReconnectAttempts: -1, reconnectTimeWait: 100, ...options });
}

export interface NatsTestBus {
  readonly bus: NatsEventBus;
  readonly stream: string;
  readonly nc: NatsConnection;
  /** Another bus on the same stream over its own connection (another process of the same service). */
  peer(connection?: NatsConnection, overrides?: Partial<NatsEventBusOptions>): Promise<NatsEventBus>;
  cleanup(): Promise<void>;
}

export async function natsTestBus(
  registry: EventRegistry,
  overrides: Partial<NatsEventBusOptions> = {},
): Promise<NatsTestBus> {
  const nc = await natsConnection();
  const stream = uniqueName('ES_TEST_BUS');
  const connections: NatsConnection[] = [nc];
  const buses: NatsEventBus[] = [];
  const make = (connection: NatsConnection, more: Partial<NatsEventBusOptions>) => {
    const bus = new NatsEventBus({ connection, registry, stream, ...FAST_NATS_BUS, ...overrides, ...more });
    buses.push(bus);
    return bus;
  };
  return {
    bus: make(nc, {}),
    stream,
    nc,
    peer: async (connection, more = {}) => {
      const own = connection ?? (await natsConnection());
      if (!connection) connections.push(own);
      return make(own, more);
    },
    cleanup: async () => {
      await Promise.all(buses.map((b) => b.close()));
      const jsm = await nc.jetstreamManager();
      for (const name of [stream, `${stream}_DLQ`, `KV_${stream}_leases`])
        await jsm.streams.delete(name).catch(() => undefined);
      await Promise.all(connections.map((c) => c.close()));
    },
  };
}
