import type { NatsConnection } from 'nats';
import { busFaultSuite } from '../../../../test/support/bus-faults.js';
import { FAST_NATS_BUS, natsConnection, natsServer, natsTestBus } from '../../../../test/support/nats-bus.js';
import { describeWithService } from '../../../../test/support/services.js';

await describeWithService('nats', 'NatsEventBus faults', () => {
  busFaultSuite('NatsEventBus', async (registry) => {
    const fixture = await natsTestBus(registry);
    const proxied: NatsConnection[] = [];
    return {
      target: natsServer(),
      takeoverMs: FAST_NATS_BUS.leaseTtlMs! + FAST_NATS_BUS.ackWaitMs!,
      proxied: async (proxy) => {
        const nc = await natsConnection({ servers: proxy.address });
        proxied.push(nc);
        return fixture.peer(nc);
      },
      direct: () => fixture.peer(),
      cleanup: async () => {
        await fixture.cleanup();
        await Promise.all(proxied.map((nc) => nc.close().catch(() => undefined)));
      },
    };
  });
});
