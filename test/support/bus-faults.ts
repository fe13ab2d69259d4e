/**
 * Fault scenarios for broker buses, run against the real local server. Clients under test connect
 * through a {@link startTcpProxy} proxy, so a test can cut their connections (or "kill" a member
 * by cutting it for good) without touching the shared server.
 *
 * @example
 * ```ts
 * busFaultSuite('RedisEventBus', async (registry) => ({ target, proxied, direct, cleanup }));
 * ```
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventBus, BusSubscription } from '../../runtime/src/bus/event-bus.js';
import type { EventRegistry } from '../../runtime/src/events/event-registry.js';
import {
  busConformanceRegistry,
  DeliveryRecorder,
  orderPlaced,
  sleep,
  waitFor,
} from '../../runtime/src/testing/bus-conformance.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

export interface BusFaultFixture {
  /** Where the broker listens. */
  readonly target: { host: string; port: number };
  /** A bus on the fixture's resources whose connections go through `proxy`. */
  proxied(proxy: TcpProxy): Promise<EventBus>;
  /** A bus on the same resources, connected directly. */
  direct(): Promise<EventBus>;
  /** How long until a member that vanished loses its partitions and its messages come back. */
  readonly takeoverMs: number;
  cleanup(): Promise<void>;
}

export function busFaultSuite(name: string, factory: (registry: EventRegistry) => Promise<BusFaultFixture>): void {
  const registry = busConformanceRegistry();
  const timeout = 30_000;

  describe(`${name} (faults)`, () => {
    let fixture: BusFaultFixture;
    let proxies: TcpProxy[];
    let subscriptions: BusSubscription[];
    beforeEach(async () => {
      fixture = await factory(registry);
      proxies = [];
      subscriptions = [];
    });
    afterEach(async () => {
      for (const p of proxies) p.restore();
      await Promise.all(subscriptions.map((s) => s.stop(500).catch(() => undefined)));
      await fixture.cleanup();
      await Promise.all(proxies.map((p) => p.close()));
    });
    const proxy = async () => {
      const p = await startTcpProxy(fixture.target);
      proxies.push(p);
      return p;
    };
    const start = async (
      bus: EventBus,
      recorder: DeliveryRecorder,
      group: string,
      more: { maxAttempts?: number; retryDelayMs?: number } = {},
    ) => {
      const subscription = bus.subscribe(recorder.handler, { group, ...more });
      subscriptions.push(subscription);
      await subscription.start();
      return subscription;
    };

    it(
      'loses nothing when the connection is cut while messages are in flight, and resumes by itself',
      async () => {
        const cutAt = await proxy();
        const consumerBus = await fixture.proxied(cutAt);
        const publisher = await fixture.direct();
        const got = new DeliveryRecorder();
        got.behaviour = () => sleep(Math.random() < 0.2 ? 2 : 0);
        await start(consumerBus, got, 'faults_cut');
        const published: string[] = [];
        for (let batch = 0; batch < 20; batch++) {
          const events = Array.from({ length: 25 }, (_, i) => orderPlaced(`cut-${i}`, batch + 1));
          published.push(...events.map((e) => e.eventId));
          await publisher.publish(events);
          if (batch === 6) cutAt.cut();
          if (batch === 12) cutAt.restore();
          await sleep(50);
        }
        await waitFor(
          () => new Set(got.ids()).size === published.length,
          timeout,
          'every published event to be handled',
        );
        expect(new Set(got.ids())).toEqual(new Set(published));
        expect(cutAt.acceptedConnections).toBeGreaterThan(1); // it reconnected by itself
        // Per-aggregate order holds for first deliveries even across the outage.
        for (let i = 0; i < 25; i++) {
          const versions = got.versionsOf(`cut-${i}`).filter((v, index, all) => all.indexOf(v) === index);
          if (process.env['DEBUG_FAULTS'])
            console.log(
              i,
              got.deliveries
                .filter((d) => d.event.aggregateId === `cut-${i}`)
                .map((d) => `${d.event.aggregateVersion}/${d.attempt}@${Math.round(d.at)}`)
                .join(' '),
            );
          expect(versions).toEqual([...versions].sort((a, b) => a - b));
        }
      },
      timeout * 2,
    );

    it(
      'hands a message to another member of the group when a consumer dies before acking',
      async () => {
        const doomedLink = await proxy();
        const doomedBus = await fixture.proxied(doomedLink);
        const doomed = new DeliveryRecorder();
        doomed.behaviour = () => new Promise(() => {}); // never acks
        await start(doomedBus, doomed, 'faults_kill');
        const event = orderPlaced('killed-before-ack', 1);
        const publisher = await fixture.direct();
        await publisher.publish([event]);
        await waitFor(() => doomed.entered.length > 0, timeout, 'the doomed consumer to receive the event');

        doomedLink.cut(); // the process is gone as far as the broker can tell
        const survivorBus = await fixture.direct();
        const survivor = new DeliveryRecorder();
        await start(survivorBus, survivor, 'faults_kill');
        await waitFor(
          () => survivor.ids().includes(event.eventId),
          fixture.takeoverMs + timeout,
          'the survivor to get the event',
        );
        expect(survivor.deliveries[0]!.attempt).toBeGreaterThanOrEqual(2);
      },
      timeout * 3,
    );

    it(
      'stops and closes while the broker is unreachable, even with a handler that never finishes',
      async () => {
        const link = await proxy();
        const bus = await fixture.proxied(link);
        const stuck = new DeliveryRecorder();
        stuck.behaviour = () => new Promise(() => {}); // never finishes
        const subscription = await start(bus, stuck, 'faults_gone');
        const publisher = await fixture.direct();
        await publisher.publish([orderPlaced('gone', 1)]);
        await waitFor(() => stuck.entered.length > 0, timeout, 'the handler to start');

        link.cut(); // the broker stays unreachable until the test is over
        // Neither waits for ever: not for the handler, not for a reconnection that never comes.
        await subscription.stop(500);
        await bus.close();
      },
      timeout * 3,
    );

    it(
      'dead-letters an always-failing aggregate after N attempts, in order, while other aggregates keep flowing',
      async () => {
        const bus = await fixture.direct();
        const got = new DeliveryRecorder();
        got.behaviour = ({ event }) => {
          if (event.aggregateId === 'always-fails') throw new Error(`cannot handle version ${event.aggregateVersion}`);
        };
        await start(bus, got, 'faults_poison', { maxAttempts: 3, retryDelayMs: 100 });
        const poison = [1, 2, 3].map((v) => orderPlaced('always-fails', v));
        const good = Array.from({ length: 60 }, (_, i) => orderPlaced(`healthy-${i}`, 1));
        await bus.publish([poison[0]!, ...good.slice(0, 30), poison[1]!, ...good.slice(30), poison[2]!]);

        await waitFor(() => good.every((e) => got.ids().includes(e.eventId)), timeout, 'the healthy aggregates');
        expect((await bus.deadLetters('faults_poison')).length).toBeLessThan(3); // healthy ones did not wait for the poison
        await waitFor(async () => (await bus.deadLetters('faults_poison')).length === 3, timeout, 'three dead letters');
        const letters = await bus.deadLetters('faults_poison');
        expect(letters.map((l) => l.eventId)).toEqual(poison.map((e) => e.eventId));
        for (const [i, letter] of letters.entries()) {
          expect(letter).toMatchObject({ reason: 'handler-failed', attempts: 3, aggregateId: 'always-fails' });
          expect(letter.error).toContain(`cannot handle version ${i + 1}`);
        }
        const poisonCalls = got.calls.filter((c) => c.event.aggregateId === 'always-fails');
        expect(poisonCalls.map((c) => c.event.aggregateVersion)).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);
      },
      timeout * 2,
    );
  });
}
