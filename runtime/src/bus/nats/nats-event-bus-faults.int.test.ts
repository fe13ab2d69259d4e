import type { NatsConnection } from 'nats';
import { afterEach, expect, it } from 'vitest';
import { busFaultSuite } from '@eventsmith/test/support/bus-faults';
import {
  FAST_NATS_BUS,
  natsConnection,
  natsServer,
  natsTestBus,
  type NatsTestBus,
} from '@eventsmith/test/support/nats-bus';
import { describeWithService, uniqueName } from '@eventsmith/test/support/services';
import { BusUnavailableError } from '../bus-errors.js';
import { NatsEventBus } from './nats-event-bus.js';
import { busConformanceRegistry, DeliveryRecorder, orderPlaced, waitFor } from '../../testing/bus-conformance.js';

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

  let fixture: NatsTestBus | undefined;
  afterEach(async () => {
    await fixture?.cleanup();
    fixture = undefined;
  });

  // JetStream redelivers unacknowledged messages in the order they become due, not in stream
  // order. A previous owner that lost version 1 on the wire (due again after ack_wait) and handed
  // version 2 back with a nak (due at once) leaves version 2 due first.
  it('handles deliveries left by a previous owner in stream order, whatever order they became due in', async () => {
    const registry = busConformanceRegistry();
    fixture = await natsTestBus(registry, { partitions: 1 });
    const group = 'left_over';
    const first = fixture.bus.subscribe(() => {}, { group });
    await first.start(); // creates the durable consumer
    await first.stop();
    await fixture.bus.publish([orderPlaced('left-over', 1), orderPlaced('left-over', 2)]);

    // The previous owner, as the server saw it: both delivered, version 2 nak'ed, version 1 never answered.
    const consumer = await fixture.nc.jetstream().consumers.get(fixture.stream, fixture.bus.names.durable(group, 0));
    const previousOwner = [];
    for await (const msg of await consumer.fetch({ max_messages: 2, expires: 5000 })) {
      previousOwner.push(msg);
      if (previousOwner.length === 2) break;
    }
    expect(previousOwner.map((m) => m.seq)).toEqual([1, 2]);
    previousOwner[1]!.nak();

    const got = new DeliveryRecorder();
    const next = fixture.bus.subscribe(got.handler, { group });
    await next.start();
    await waitFor(() => got.versionsOf('left-over').length >= 2, 30_000, 'both versions');
    await next.stop();
    expect(got.versionsOf('left-over')).toEqual([1, 2]);
    expect(got.deliveries.map((d) => d.attempt)).toEqual([2, 2]);
  }, 60_000);

  it('reports a closed connection as BusUnavailableError on every call, never a raw NatsError', async () => {
    const registry = busConformanceRegistry();
    const closed = await natsConnection();
    await closed.close();
    const bus = new NatsEventBus({
      ...FAST_NATS_BUS,
      connection: closed,
      registry,
      stream: uniqueName('ES_TEST_CLOSED'),
    });
    const failures = [
      await bus
        .subscribe(() => {}, { group: 'g' })
        .start()
        .catch((e: unknown) => e),
      await bus.deadLetters('g').catch((e: unknown) => e),
      await bus.replayDeadLetter('g', '1').catch((e: unknown) => e),
      await bus.publish([orderPlaced('closed', 1)]).catch((e: unknown) => e),
    ];
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(BusUnavailableError);
      expect(failure).toMatchObject({ code: 'BUS.UNAVAILABLE', bus: 'NATS', reason: 'connection-closed' });
      expect((failure as Error).message).toMatch(/connection the bus was given is closed.*maxReconnectAttempts: -1/);
    }
    await bus.close();
  });
});
