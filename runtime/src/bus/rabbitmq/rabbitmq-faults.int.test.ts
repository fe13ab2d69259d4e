import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import { deleteRabbitMqResources, rabbitMqTestBus } from '@eventsmith/test/support/rabbitmq';
import { describeWithService, hostPort, serviceUrl, uniqueName } from '@eventsmith/test/support/services';
import { startTcpProxy, type TcpProxy } from '@eventsmith/test/support/tcp-proxy';
import {
  busConformanceRegistry,
  DeliveryRecorder,
  orderPlaced,
  sleep,
  waitFor,
} from '../../testing/bus-conformance-fixtures.js';
import { BusConfigurationError, BusUnavailableError } from '../bus-errors.js';
import { RabbitMqEventBus } from './rabbitmq-event-bus.js';

const registry = busConformanceRegistry();
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

await describeWithService('rabbitmq', 'RabbitMqEventBus faults', () => {
  it('loses nothing when the connection is cut while messages are in flight, and resumes by itself', async () => {
    const target = hostPort(serviceUrl('rabbitmq')!, 5672);
    const proxy: TcpProxy = await startTcpProxy(target);
    cleanups.push(() => proxy.close());
    const url = new URL(serviceUrl('rabbitmq')!);
    url.host = proxy.address;
    const errors: unknown[] = [];
    const { bus, cleanup } = await rabbitMqTestBus(registry, {
      url: url.toString(),
      reconnectDelayMs: 100,
      rebalanceIntervalMs: 300,
      onError: (error) => errors.push(error),
    });
    cleanups.push(cleanup, () => bus.close());

    const got = new DeliveryRecorder();
    got.behaviour = () => sleep(2); // keep deliveries in flight when the cut comes
    await bus.subscribe(got.handler, { group: 'cut' }).start();

    const aggregates = Array.from({ length: 10 }, (_, i) => `cut-${i}`);
    const published: string[] = [];
    const publishing = (async () => {
      for (let version = 1; version <= 60; version++) {
        const batch = aggregates.map((id) => orderPlaced(id, version));
        await bus.publish(batch); // rides out the outage: retries until the broker confirms
        published.push(...batch.map((e) => e.eventId));
        await sleep(20);
      }
    })();
    await waitFor(() => got.deliveries.length > 50, 10_000, 'deliveries before the cut');
    const connectionsBefore = proxy.acceptedConnections;
    const publishedAtCut = published.length;
    await proxy.outage(700);
    await publishing;
    expect(publishedAtCut).toBeLessThan(600); // the cut came while publishing and consuming

    await waitFor(() => new Set(got.ids()).size >= 600, 30_000, 'every published event after the outage');
    expect(new Set(got.ids())).toEqual(new Set(published));
    expect(proxy.acceptedConnections).toBeGreaterThan(connectionsBefore); // it reconnected by itself
    expect(errors.some((e) => String((e as Error).message).includes('reconnecting'))).toBe(true);
    for (const id of aggregates) {
      // At-least-once: a redelivery may repeat an event, but first sightings stay in order.
      const firstSeen = [...new Set(got.versionsOf(id))];
      expect(firstSeen, `order of ${id}`).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    }
  }, 90_000);

  it('re-declares its exchange and queues when it reconnects to a broker that lost them', async () => {
    const target = hostPort(serviceUrl('rabbitmq')!, 5672);
    const proxy = await startTcpProxy(target);
    cleanups.push(() => proxy.close());
    const url = new URL(serviceUrl('rabbitmq')!);
    url.host = proxy.address;
    const { bus, resources, cleanup } = await rabbitMqTestBus(registry, {
      url: url.toString(),
      reconnectDelayMs: 100,
      rebalanceIntervalMs: 300,
    });
    cleanups.push(cleanup, () => bus.close());
    const got = new DeliveryRecorder();
    await bus.subscribe(got.handler, { group: 'redeclared' }).start();

    proxy.cut();
    await deleteRabbitMqResources(resources); // as if the broker came back empty
    proxy.restore();
    const event = orderPlaced('redeclared-1', 1);
    await bus.publish([event]); // waits for the reconnection, which declares everything again
    await waitFor(() => got.ids().includes(event.eventId), 15_000, 'delivery through the re-declared topology');
  }, 60_000);

  it('hands a message to another member when the consumer holding it is killed before acknowledging', async () => {
    const namespace = uniqueName('es_test');
    const url = serviceUrl('rabbitmq')!;
    const { bus, cleanup } = await rabbitMqTestBus(registry, { namespace, rebalanceIntervalMs: 300 });
    cleanups.push(cleanup, () => bus.close());

    const child: ChildProcess = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/support/rabbitmq-hung-member.ts', url, namespace, 'killed'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    cleanups.push(async () => void child.kill('SIGKILL'));
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    await waitFor(() => lines.some((l) => l.startsWith('ready')), 30_000, 'the child member to start');
    expect(lines).toContain('ready 8'); // it holds every partition

    const survivor = new DeliveryRecorder();
    const subscription = bus.subscribe(survivor.handler, { group: 'killed' });
    await subscription.start();
    await sleep(700);
    expect(subscription.partitions).toEqual([]); // nothing left to claim while the child lives

    const event = orderPlaced('killed-1', 1);
    await bus.publish([event]);
    await waitFor(() => lines.includes(`got ${event.eventId}`), 10_000, 'the child to take the message');
    expect(survivor.ids()).toEqual([]);

    child.kill('SIGKILL');
    await waitFor(
      () => survivor.ids().includes(event.eventId),
      15_000,
      'the survivor to get the unacknowledged message',
    );
    expect(survivor.deliveries[0]!.attempt).toBe(1); // a redelivery, not a handler failure
    await waitFor(() => subscription.partitions.length === 8, 10_000, 'the survivor to take over every partition');
  }, 90_000);

  it('dead-letters an always-failing message after maxAttempts while other aggregates flow, and holds its aggregate behind it', async () => {
    const { bus, cleanup } = await rabbitMqTestBus(registry, { rebalanceIntervalMs: 300 });
    cleanups.push(cleanup, () => bus.close());
    const got = new DeliveryRecorder();
    const healthyHandled = () => got.deliveries.filter((d) => d.event.aggregateId.startsWith('healthy-')).length;
    let healthyFlowedDuringRetry = false;
    got.behaviour = async ({ event, attempt }) => {
      if (event.aggregateId !== 'poison' || event.aggregateVersion !== 1) return;
      // Retries never block other aggregates: the second attempt holds its own lane until every
      // healthy event was handled (if retries blocked them, they would not get through meanwhile).
      if (attempt === 2) {
        await waitFor(
          () => healthyHandled() === 60,
          20_000,
          'the healthy events while the poison message is retried',
        ).catch(() => undefined);
        healthyFlowedDuringRetry = healthyHandled() === 60;
      }
      throw new Error('downstream rejected poison v1');
    };
    await bus.subscribe(got.handler, { group: 'poisoned', maxAttempts: 4, retryDelayMs: 100 }).start();

    const poison = orderPlaced('poison', 1);
    const poisonLater = orderPlaced('poison', 2);
    const others = Array.from({ length: 60 }, (_, i) => orderPlaced(`healthy-${i % 12}`, Math.floor(i / 12) + 1));
    await bus.publish([poison, ...others.slice(0, 30)]);
    await bus.publish([poisonLater, ...others.slice(30)]);

    await waitFor(async () => (await bus.deadLetters('poisoned')).length === 1, 20_000, 'the dead letter');
    await waitFor(() => got.ids().includes(poisonLater.eventId), 10_000, 'the later poison event');
    const poisonCalls = got.calls.filter((c) => c.event.eventId === poison.eventId);
    expect(poisonCalls.map((c) => [c.attempt, c.failed])).toEqual([
      [1, true],
      [2, true],
      [3, true],
      [4, true],
    ]);
    expect(healthyFlowedDuringRetry).toBe(true);
    expect(got.deliveries.filter((d) => d.event.aggregateId.startsWith('healthy-'))).toHaveLength(60);
    // The later event of the same aggregate waited until the failing one was dead-lettered.
    const later = got.deliveries.find((d) => d.event.eventId === poisonLater.eventId)!;
    expect(later.at).toBeGreaterThan(poisonCalls[3]!.at);

    const [letter] = await bus.deadLetters('poisoned');
    expect(letter).toMatchObject({
      reason: 'handler-failed',
      attempts: 4,
      eventId: poison.eventId,
      aggregateId: 'poison',
    });
    expect(letter!.error).toContain('downstream rejected poison v1');
  }, 60_000);

  it('fails fast with a clear error when the broker cannot be reached, without leaking credentials', async () => {
    const error = await RabbitMqEventBus.connect({ url: 'amqp://someone:s3cret@127.0.0.1:1', registry }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'BUS.UNAVAILABLE' });
    expect((error as Error).message).toContain('amqp://127.0.0.1:1');
    expect((error as Error).message).not.toContain('s3cret');
  });

  it('says why it cannot connect: a refused login, an unknown virtual host, TLS to a plain port; a bad URL at once', async () => {
    const server = new URL(serviceUrl('rabbitmq')!);
    const at = (change: (url: URL) => void) => {
      const url = new URL(server.href);
      change(url);
      return url.href;
    };
    const cases = [
      {
        url: at((u) => (u.password = 'not-the-s3cret')),
        reason: 'authentication',
        fix: /refused the login .*Check the user name and password/,
      },
      {
        url: at((u) => (u.pathname = `/${uniqueName('es_test_no_vhost')}`)),
        reason: 'virtual-host',
        fix: /refused the virtual host .*virtual host exists/,
      },
      { url: at((u) => (u.protocol = 'amqps:')), reason: 'ssl', fix: /failed the TLS handshake .*Check TLS/ },
    ];
    for (const { url, reason, fix } of cases) {
      const error = await RabbitMqEventBus.connect({ url, registry }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BusUnavailableError);
      expect(error).toMatchObject({ code: 'BUS.UNAVAILABLE', bus: 'RabbitMQ', reason });
      expect((error as Error).message).toMatch(fix);
      expect((error as Error).message).not.toContain('s3cret');
      expect((error as Error).message).not.toMatch(/Check that the broker is running/);
    }
    for (const url of ['nope://someone:s3cret@host', 'amqp://someone:s3cret@127.0.0.1:notaport/x']) {
      expect(() => new RabbitMqEventBus({ url, registry })).toThrow(BusConfigurationError);
      expect(() => new RabbitMqEventBus({ url, registry })).not.toThrow(/s3cret/);
    }
  });
});
