import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { InMemoryAggregateVersionStore } from '../bus/aggregate-version-store.js';
import { BusClosedError, BusConfigurationError, DeadLetterNotFoundError } from '../bus/bus-errors.js';
import type { BusSubscription, EventBus, SubscribeOptions } from '../bus/event-bus.js';
import type { EventRecord } from '../events/event-record.js';
import type { EventRegistry } from '../events/event-registry.js';
import { InvalidArgumentError } from '../errors.js';
import { instruments, MetricAttributes } from '../telemetry/metrics.js';
import {
  busConformanceRegistry,
  ConformanceCustomerRegistered,
  ConformanceOrderPlaced,
  ConformanceOrderShipped,
  DeliveryRecorder,
  newerBusConformanceRegistry,
  orderPlaced,
  orderPlacedV1,
  sleep,
  waitFor,
} from './bus-conformance-fixtures.js';

export * from './bus-conformance-fixtures.js';

/** What a bus factory returns for one test: a bus over fresh, uniquely named broker resources. */
export interface BusConformanceFixture {
  readonly bus: EventBus;
  /**
   * Optional: writes `body` straight to the broker as a message that is not an event record, so
   * the suite can check it is dead-lettered as `undecodable`. Without it that case is skipped.
   */
  readonly publishRaw?: (body: string) => Promise<void>;
  /**
   * Optional: another bus on the same broker resources (another process of the same service)
   * built with `registry`, as a process running a newer release of the app opens it; the
   * fixture's teardown closes it. Lets the suite check that a message of a newer schema version
   * an old consumer left goes to the newer one. Without it that part is skipped.
   */
  readonly newerBus?: (registry: EventRegistry) => Promise<EventBus>;
  /** Deletes what the fixture created (streams, queues, consumers); called after `bus.close()`. */
  teardown(): Promise<void>;
}

export interface BusConformanceOptions {
  /** How long to wait for an expected delivery. Default 15 000 ms. */
  readonly timeoutMs?: number;
  /**
   * Guarantees the adapter does not keep, each with the reason. Their tests are reported as
   * skipped with the reason in the title, never silently passed.
   */
  readonly unsupported?: { readonly orderUnderRetries?: string };
}

/** Builds a fresh fixture; the registry is the suite's own ({@link busConformanceRegistry}). */
export type BusFactory = (context: { readonly registry: EventRegistry }) => Promise<BusConformanceFixture>;

/**
 * The behaviour every {@link EventBus} adapter must show, as a vitest suite. Each test gets a
 * fresh fixture and its own consumer group names.
 *
 * Delivery is at least once: the suite asserts no duplicates only where nothing fails, and
 * asserts a redelivery where a consumer leaves a message unacknowledged.
 *
 * @example
 * ```ts
 * busConformanceSuite('InMemoryEventBus', async ({ registry }) => {
 *   const bus = new InMemoryEventBus({ registry });
 *   return { bus, teardown: async () => {} };
 * });
 * ```
 */
export function busConformanceSuite(name: string, factory: BusFactory, options: BusConformanceOptions = {}): void {
  const timeout = options.timeoutMs ?? 15_000;
  const testTimeout = timeout * 4;
  const registry = busConformanceRegistry();

  describe(`${name} (bus conformance)`, () => {
    let fixture: BusConformanceFixture;
    let subscriptions: BusSubscription[];
    let bus: EventBus;
    const exporter = new InMemorySpanExporter();

    beforeAll(() => {
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
      propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    });
    afterAll(() => {
      trace.disable();
      propagation.disable();
      context.disable();
    });
    beforeEach(async () => {
      fixture = await factory({ registry });
      bus = fixture.bus;
      subscriptions = [];
    });
    afterEach(async () => {
      await Promise.all(subscriptions.map((s) => s.stop(1000)));
      await bus.close();
      await fixture.teardown();
    });

    const group = () => `g_${Math.random().toString(36).slice(2, 10)}`;
    const start = async (recorder: DeliveryRecorder, subscribeOptions: SubscribeOptions) => {
      const subscription = bus.subscribe(recorder.handler, subscribeOptions);
      subscriptions.push(subscription);
      await subscription.start();
      return subscription;
    };
    const until = (condition: () => boolean | Promise<boolean>, what: string) => waitFor(condition, timeout, what);

    it(
      'delivers events in stored form and upcasts old payloads with the registry',
      async () => {
        const got = new DeliveryRecorder();
        await start(got, { group: group() });
        const old = orderPlacedV1('order-1', 1, 10);
        const live = new ConformanceOrderShipped({ carrier: 'DHL' }, { aggregateId: 'order-1', aggregateVersion: 2 });
        await bus.publish([]);
        await bus.publish([old, live]);

        await until(() => got.deliveries.length === 2, 'two deliveries');
        const [first, second] = got.deliveries;
        expect(first!.event).toBeInstanceOf(ConformanceOrderPlaced);
        expect(first!.event.eventVersion).toBe(2);
        expect(first!.event.data).toEqual({ total: 10, currency: 'EUR' });
        expect(first!.event).toMatchObject({
          eventId: old.eventId,
          aggregateId: 'order-1',
          aggregateType: 'Order',
          aggregateVersion: 1,
          tenantId: 'tenant-a',
          actorId: 'user-7',
          correlationId: 'corr-1',
          causationId: 'cmd-1',
          metadata: { source: 'legacy' },
        });
        expect(first!.event.occurredAt.toISOString()).toBe(old.occurredAt);
        expect(first!.attempt).toBe(1);
        expect(second!.event).toBeInstanceOf(ConformanceOrderShipped);
        expect(second!.event.eventId).toBe(live.eventId);
        expect(second!.event.data).toEqual({ carrier: 'DHL' });
      },
      testTimeout,
    );

    it(
      'gives every group every message',
      async () => {
        const a = new DeliveryRecorder();
        const b = new DeliveryRecorder();
        await start(a, { group: group() });
        await start(b, { group: group() });
        const events = Array.from({ length: 20 }, (_, i) => orderPlaced(`order-${i % 4}`, Math.floor(i / 4) + 1));
        await bus.publish(events);

        const ids = events.map((e) => e.eventId).sort();
        await until(() => a.deliveries.length >= 20 && b.deliveries.length >= 20, 'both groups to get 20 events');
        await sleep(100);
        expect(a.ids().sort()).toEqual(ids);
        expect(b.ids().sort()).toEqual(ids);
      },
      testTimeout,
    );

    it(
      'refuses a batch holding something that is not an event with InvalidArgumentError, sending none of it',
      async () => {
        const got = new DeliveryRecorder();
        const g = group();
        await start(got, { group: g });
        const good = orderPlaced('fixbus-order', 1);
        const notEvents: unknown[] = [
          { not: 'an event' },
          null,
          42,
          { ...orderPlacedV1('fixbus-order', 1, 5), eventVersion: '1' },
        ];
        for (const bad of notEvents) {
          const error = await bus.publish([good, bad as EventRecord]).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(error, `publish([event, ${JSON.stringify(bad)}])`).toBeInstanceOf(InvalidArgumentError);
          expect((error as Error).message).toContain('event 2 of the batch (index 1)');
        }
        for (const notArray of [{ not: 'an array' }, null, undefined]) {
          await expect(bus.publish(notArray as unknown as EventRecord[])).rejects.toBeInstanceOf(InvalidArgumentError);
        }
        // Had any refused batch been sent, its event would arrive before this later one of the same aggregate.
        const after = orderPlaced('fixbus-order', 2);
        await bus.publish([after]);
        await until(() => got.deliveries.length >= 1, 'the later event');
        expect(got.ids()).toEqual([after.eventId]);
        expect(await bus.deadLetters(g)).toEqual([]);
      },
      testTimeout,
    );

    it(
      'shares messages between the consumers of one group, each handled once',
      async () => {
        const shared = group();
        const first = new DeliveryRecorder();
        const second = new DeliveryRecorder();
        const firstSubscription = await start(first, { group: shared });
        await start(second, { group: shared });
        const published: string[] = [];
        for (let wave = 0; wave < 40 && (first.deliveries.length === 0 || second.deliveries.length === 0); wave++) {
          const events = Array.from({ length: 20 }, (_, i) => orderPlaced(`w${wave}-order-${i}`, 1));
          published.push(...events.map((e) => e.eventId));
          await bus.publish(events);
          await until(
            () => first.deliveries.length + second.deliveries.length >= published.length,
            `wave ${wave} to be handled`,
          );
          await sleep(250);
        }
        expect(first.deliveries.length).toBeGreaterThan(0);
        expect(second.deliveries.length).toBeGreaterThan(0);
        const handled = [...first.ids(), ...second.ids()];
        expect(new Set(handled).size).toBe(handled.length);
        expect(handled.sort()).toEqual([...published].sort());

        // When one member leaves, the other takes over all of the group's messages.
        await firstSubscription.stop();
        const before = first.deliveries.length;
        const later = Array.from({ length: 20 }, (_, i) => orderPlaced(`later-order-${i}`, 1));
        await bus.publish(later);
        await until(
          () => later.every((e) => second.ids().includes(e.eventId)),
          'the remaining member to get every later event',
        );
        expect(first.deliveries.length).toBe(before);
      },
      testTimeout,
    );

    it(
      'keeps per-aggregate order within a group',
      async () => {
        const shared = group();
        const first = new DeliveryRecorder();
        const second = new DeliveryRecorder();
        const jitter = () => sleep(Math.random() < 0.3 ? Math.floor(Math.random() * 4) : 0);
        first.behaviour = jitter;
        second.behaviour = jitter;
        await start(first, { group: shared });
        await start(second, { group: shared });
        const aggregates = Array.from({ length: 6 }, (_, i) => `ordered-${i}`);
        for (let version = 1; version <= 15; version++) {
          await bus.publish(aggregates.map((id) => orderPlaced(id, version)));
        }
        await until(() => first.deliveries.length + second.deliveries.length >= 90, '90 deliveries');
        await sleep(100);
        const expected = Array.from({ length: 15 }, (_, i) => i + 1);
        for (const id of aggregates) {
          const seen = [...first.deliveries, ...second.deliveries]
            .filter((d) => d.event.aggregateId === id)
            .sort((x, y) => x.at - y.at)
            .map((d) => d.event.aggregateVersion);
          expect(seen, `order of ${id}`).toEqual(expected);
        }
      },
      testTimeout,
    );

    it(
      'filters by event type and by aggregate type',
      async () => {
        const shippedOnly = new DeliveryRecorder();
        const customersOnly = new DeliveryRecorder();
        const shippedGroup = group();
        const customerGroup = group();
        await start(shippedOnly, { group: shippedGroup, eventTypes: [ConformanceOrderShipped.eventType] });
        await start(customersOnly, { group: customerGroup, aggregateTypes: ['Customer'] });
        const shipped = new ConformanceOrderShipped({ carrier: 'UPS' }, { aggregateId: 'o-9', aggregateVersion: 2 });
        const registered = new ConformanceCustomerRegistered(
          { name: 'Ada' },
          { aggregateId: 'c-1', aggregateVersion: 1 },
        );
        const unknown = { ...orderPlacedV1('o-10', 1, 5), eventType: 'conformance.NotInThisDomain' };
        await bus.publish([orderPlaced('o-9', 1), shipped, registered, unknown, orderPlaced('o-11', 1)]);

        await until(
          () => shippedOnly.deliveries.length >= 1 && customersOnly.deliveries.length >= 1,
          'filtered deliveries',
        );
        await sleep(300);
        expect(shippedOnly.ids()).toEqual([shipped.eventId]);
        expect(customersOnly.ids()).toEqual([registered.eventId]);
        // A message a group filters out is not its concern, even when its type is unknown.
        expect(await bus.deadLetters(shippedGroup)).toEqual([]);
        expect(await bus.deadLetters(customerGroup)).toEqual([]);
      },
      testTimeout,
    );

    it(
      'retries a failing handler with backoff without blocking other aggregates',
      async () => {
        const got = new DeliveryRecorder();
        got.behaviour = ({ event, attempt }) => {
          if (event.aggregateId === 'flaky' && attempt < 3) throw new Error(`transient failure ${attempt}`);
        };
        await start(got, { group: group(), maxAttempts: 5, retryDelayMs: 150 });
        const others = Array.from({ length: 10 }, (_, i) => orderPlaced(`steady-${i}`, 1));
        await bus.publish([orderPlaced('flaky', 1), ...others]);

        await until(() => got.versionsOf('flaky').length === 1, 'the flaky event to succeed');
        const flakyCalls = got.calls.filter((c) => c.event.aggregateId === 'flaky');
        expect(flakyCalls.map((c) => [c.attempt, c.failed])).toEqual([
          [1, true],
          [2, true],
          [3, false],
        ]);
        // Backoff: about 150 ms, then about 300 ms (±20% jitter; timers never fire early).
        expect(flakyCalls[1]!.at - flakyCalls[0]!.at).toBeGreaterThanOrEqual(150 * 0.75);
        expect(flakyCalls[2]!.at - flakyCalls[1]!.at).toBeGreaterThanOrEqual(300 * 0.75);
        // The other aggregates were handled while the flaky one was waiting for its first retry.
        const steady = got.deliveries.filter((d) => d.event.aggregateId.startsWith('steady-'));
        expect(steady).toHaveLength(10);
        for (const delivery of steady) expect(delivery.at).toBeLessThan(flakyCalls[1]!.at);
      },
      testTimeout,
    );

    it.skipIf(options.unsupported?.orderUnderRetries !== undefined)(
      `keeps per-aggregate order while an event is being retried${options.unsupported?.orderUnderRetries ? ` [unsupported: ${options.unsupported.orderUnderRetries}]` : ''}`,
      async () => {
        const got = new DeliveryRecorder();
        got.behaviour = ({ event, attempt }) => {
          if (event.aggregateId === 'blocked' && event.aggregateVersion === 1 && attempt < 3)
            throw new Error('not yet');
        };
        await start(got, { group: group(), maxAttempts: 5, retryDelayMs: 100 });
        await bus.publish([orderPlaced('blocked', 1), orderPlaced('free', 1)]);
        await bus.publish([
          orderPlaced('blocked', 2),
          orderPlaced('free', 2),
          orderPlaced('blocked', 3),
          orderPlaced('free', 3),
        ]);

        await until(() => got.versionsOf('blocked').length === 3, 'the blocked aggregate to drain');
        expect(got.versionsOf('blocked')).toEqual([1, 2, 3]);
        const blockedCalls = got.calls.filter((c) => c.event.aggregateId === 'blocked');
        expect(blockedCalls.map((c) => `${c.event.aggregateVersion}:${c.failed ? 'failed' : 'ok'}`)).toEqual([
          '1:failed',
          '1:failed',
          '1:ok',
          '2:ok',
          '3:ok',
        ]);
        const firstSuccess = blockedCalls[2]!.at;
        expect(got.versionsOf('free')).toEqual([1, 2, 3]);
        for (const d of got.deliveries.filter((d) => d.event.aggregateId === 'free'))
          expect(d.at).toBeLessThan(firstSuccess);
      },
      testTimeout,
    );

    it(
      'dead-letters after maxAttempts with the error, keeps other aggregates flowing, and replays',
      async () => {
        const failing = group();
        const healthy = group();
        const got = new DeliveryRecorder();
        const other = new DeliveryRecorder();
        let declined = true;
        got.behaviour = ({ event }) => {
          if (event.aggregateId === 'poison' && declined) throw new Error('payment provider said: card declined');
        };
        await start(got, { group: failing, maxAttempts: 3, retryDelayMs: 30 });
        await start(other, { group: healthy });
        const poison = orderPlaced('poison', 1);
        const good = Array.from({ length: 5 }, (_, i) => orderPlaced(`good-${i}`, 1));
        await bus.publish([poison, ...good]);

        await until(async () => (await bus.deadLetters(failing)).length === 1, 'a dead letter');
        await until(() => good.every((e) => got.ids().includes(e.eventId)), 'the good events');
        expect(got.calls.filter((c) => c.event.eventId === poison.eventId).map((c) => c.attempt)).toEqual([1, 2, 3]);
        const [letter] = await bus.deadLetters(failing);
        expect(letter).toMatchObject({
          group: failing,
          reason: 'handler-failed',
          attempts: 3,
          eventType: poison.eventType,
          eventId: poison.eventId,
        });
        expect(letter!.error).toBe('Error: payment provider said: card declined'); // one line, no stack
        expect(letter!.deadLetteredAt).toBeInstanceOf(Date);
        expect((JSON.parse(letter!.payload) as EventRecord).eventId).toBe(poison.eventId);
        await until(() => other.ids().includes(poison.eventId), 'the healthy group to get the event');
        expect(await bus.deadLetters(healthy)).toEqual([]);

        declined = false;
        await bus.replayDeadLetter(failing, letter!.id);
        await until(() => got.ids().includes(poison.eventId), 'the replayed event');
        expect(got.deliveries.find((d) => d.event.eventId === poison.eventId)!.event).toBeInstanceOf(
          ConformanceOrderPlaced,
        );
        expect(await bus.deadLetters(failing)).toEqual([]);
        await expect(bus.replayDeadLetter(failing, letter!.id)).rejects.toBeInstanceOf(DeadLetterNotFoundError);
        await sleep(200);
        expect(other.ids().filter((id) => id === poison.eventId)).toHaveLength(1); // replay is for its group only
      },
      testTimeout,
    );

    it(
      'dead-letters what a handler threw that is not an Error as a readable one-line error',
      async () => {
        const g = group();
        const got = new DeliveryRecorder();
        const thrown: Record<string, unknown> = {
          'fixbus-object': { code: 42 },
          'fixbus-empty': new TypeError(''),
          'fixbus-undefined': undefined,
        };
        got.behaviour = ({ event }) => {
          throw thrown[event.aggregateId];
        };
        await start(got, { group: g, maxAttempts: 1 });
        await bus.publish(Object.keys(thrown).map((id) => orderPlaced(id, 1)));
        await until(async () => (await bus.deadLetters(g)).length === 3, 'three dead letters');
        const errors = Object.fromEntries((await bus.deadLetters(g)).map((l) => [l.aggregateId, l.error]));
        expect(errors).toEqual({
          'fixbus-object': '{"code":42}',
          'fixbus-empty': 'TypeError (no message)',
          'fixbus-undefined': 'undefined was thrown, not an Error',
        });
      },
      testTimeout,
    );

    it(
      'dead-letters unknown event types and undecodable payloads with a reason, never drops them',
      async () => {
        const g = group();
        const got = new DeliveryRecorder();
        await start(got, { group: g });
        const unknown: EventRecord = { ...orderPlacedV1('o-20', 1, 1), eventType: 'conformance.RemovedLongAgo' };
        const invalid: EventRecord = {
          ...orderPlacedV1('o-21', 1, 1),
          eventVersion: 2,
          data: { total: 'ten', currency: 'EUR' },
        };
        const fine = orderPlaced('o-23', 1);
        await bus.publish([unknown, invalid, fine]);
        if (fixture.publishRaw) await fixture.publishRaw('{"this is": not json');

        const expectedLetters = fixture.publishRaw ? 3 : 2;
        await until(
          async () => (await bus.deadLetters(g)).length === expectedLetters,
          `${expectedLetters} dead letters`,
        );
        await until(() => got.ids().includes(fine.eventId), 'the valid event');
        expect(got.ids()).toEqual([fine.eventId]);
        const letters = await bus.deadLetters(g);
        const byEvent = (id: string) => letters.find((l) => l.eventId === id || l.payload.includes(id));
        expect(byEvent(unknown.eventId)).toMatchObject({
          reason: 'unknown-event-type',
          eventType: 'conformance.RemovedLongAgo',
        });
        expect(byEvent(unknown.eventId)!.error).toContain('conformance.RemovedLongAgo');
        expect(byEvent(invalid.eventId)).toMatchObject({ reason: 'undecodable', eventType: 'conformance.OrderPlaced' });
        expect(byEvent(invalid.eventId)!.error).toContain('total');
        if (fixture.publishRaw) {
          const raw = letters.find((l) => l.payload === '{"this is": not json');
          expect(raw).toMatchObject({ reason: 'undecodable' });
        }
      },
      testTimeout,
    );

    it(
      'never dead-letters a message of a newer schema version than the consumer knows; redelivers it to a consumer that knows it',
      async () => {
        const g = group();
        const redelivered = vi.spyOn(instruments().busRedelivered, 'add');
        const redeliveries = () =>
          redelivered.mock.calls.filter(([, attributes]) => attributes?.[MetricAttributes.group] === g).length;
        const old = new DeliveryRecorder();
        const oldSubscription = await start(old, { group: g, maxAttempts: 2, retryDelayMs: 5, maxRetryDelayMs: 50 });
        // Published by a newer release of the app, which defines the order event up to v3.
        const tooNew: EventRecord = {
          ...orderPlacedV1('o-30', 1, 1),
          eventVersion: 3,
          data: { total: 1, currency: 'EUR', channel: 'web' },
        };
        const other = orderPlaced('o-31', 1);
        await bus.publish([tooNew, other]);
        await until(() => old.ids().includes(other.eventId), "another aggregate's event");
        // Attempts beyond maxAttempts, and still no dead letter.
        await until(() => redeliveries() >= 3, 'redeliveries of the newer message');
        expect(await bus.deadLetters(g)).toEqual([]);
        expect(old.ids()).toEqual([other.eventId]);
        redelivered.mockRestore();
        if (!fixture.newerBus) return;

        await oldSubscription.stop(5000);
        const newer = await fixture.newerBus(newerBusConformanceRegistry());
        const got = new DeliveryRecorder();
        const subscription = newer.subscribe(got.handler, { group: g, retryDelayMs: 5, maxRetryDelayMs: 50 });
        subscriptions.push(subscription);
        await subscription.start();
        await until(() => got.ids().includes(tooNew.eventId), 'the newer consumer to handle the message');
        expect(got.events.find((e) => e.eventId === tooNew.eventId)).toMatchObject({
          eventVersion: 3,
          data: { total: 1, currency: 'EUR', channel: 'web' },
        });
        expect(await bus.deadLetters(g)).toEqual([]);
      },
      testTimeout,
    );

    it(
      'carries W3C trace context from publish to handler',
      async () => {
        const got = new DeliveryRecorder();
        let handlerTraceId: string | undefined;
        got.behaviour = () => {
          handlerTraceId = trace.getActiveSpan()?.spanContext().traceId;
        };
        await start(got, { group: group() });
        let traceId = '';
        await trace.getTracer('conformance').startActiveSpan('place order', async (span) => {
          traceId = span.spanContext().traceId;
          await bus.publish([orderPlaced('traced', 1)]);
          span.end();
        });

        await until(() => got.deliveries.length === 1, 'the traced delivery');
        expect(got.deliveries[0]!.headers['traceparent']).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
        expect(handlerTraceId).toBe(traceId);
        const consumerSpan = exporter
          .getFinishedSpans()
          .find((s) => s.name.startsWith('eventsmith.bus.handle') && s.spanContext().traceId === traceId);
        expect(consumerSpan).toBeDefined();
      },
      testTimeout,
    );

    it(
      'publishes in one producer span per publish and counts the events it published (eventsmith.bus.published)',
      async () => {
        const published = vi.spyOn(instruments().busPublished, 'add');
        let counted: unknown[][];
        try {
          await bus.publish([orderPlaced('counted', 1), orderPlaced('counted', 2), orderPlaced('counted', 3)]);
          // With no meter provider registered, every counter is @opentelemetry/api's one no-op
          // counter, which the tracing SDK's own span counters add to as well: keep the bus's adds.
          counted = published.mock.calls.filter(([, attributes]) => attributes?.['messaging.system'] !== undefined);
        } finally {
          published.mockRestore();
        }
        const span = exporter
          .getFinishedSpans()
          .find((s) => s.name === 'eventsmith.bus.publish' && s.attributes['messaging.batch.message_count'] === 3);
        expect(span?.kind).toBe(SpanKind.PRODUCER);
        expect(counted).toEqual([[3, { 'messaging.system': span?.attributes['messaging.system'] }]]);
      },
      testTimeout,
    );

    it(
      'refuses a group name subscribe refuses in deadLetters and replayDeadLetter too, before touching the broker',
      async () => {
        for (const bad of ['bad group/*', '', 'x'.repeat(101)]) {
          expect(() => bus.subscribe(() => undefined, { group: bad })).toThrow(BusConfigurationError);
          await expect(bus.deadLetters(bad)).rejects.toBeInstanceOf(BusConfigurationError);
          await expect(bus.replayDeadLetter(bad, '1')).rejects.toBeInstanceOf(BusConfigurationError);
        }
      },
      testTimeout,
    );

    it(
      'refuses every call after close() with BusClosedError, a started subscription starting again included',
      async () => {
        const g = group();
        const subscription = await start(new DeliveryRecorder(), { group: g });
        await bus.close();
        await bus.close(); // twice is fine
        // Started again, it would consume on a bus its owner closed.
        await expect(subscription.start()).rejects.toBeInstanceOf(BusClosedError);
        expect(() => bus.subscribe(() => undefined, { group: g })).toThrow(BusClosedError);
        await expect(bus.publish([orderPlaced('closed', 1)])).rejects.toBeInstanceOf(BusClosedError);
        await expect(bus.deadLetters(g)).rejects.toBeInstanceOf(BusClosedError);
        await expect(bus.replayDeadLetter(g, '1')).rejects.toBeInstanceOf(BusClosedError);
        await subscription.stop(1000); // stopping what close() stopped is fine
      },
      testTimeout,
    );

    it(
      'drains in-flight handlers on stop and does not redeliver what they acknowledged',
      async () => {
        const g = group();
        const got = new DeliveryRecorder();
        let started = false;
        let finished = false;
        got.behaviour = async () => {
          started = true;
          await sleep(300);
          finished = true;
        };
        const subscription = await start(got, { group: g });
        const slow = orderPlaced('drained', 1);
        await bus.publish([slow]);
        await until(() => started, 'the handler to start');
        await subscription.stop(10_000);
        expect(finished).toBe(true);

        const next = orderPlaced('drained', 2);
        await bus.publish([next]);
        await sleep(200);
        expect(got.ids()).toEqual([slow.eventId]); // a stopped subscription takes nothing new

        const successor = new DeliveryRecorder();
        await start(successor, { group: g });
        await until(() => successor.ids().includes(next.eventId), 'the successor to get the next event');
        await sleep(300);
        expect(successor.ids()).toEqual([next.eventId]);
      },
      testTimeout,
    );

    it(
      'with a version guard, skips events at or below the version last handled for their aggregate, also after a restart',
      async () => {
        const versions = new InMemoryAggregateVersionStore();
        const shared = group();
        const got = new DeliveryRecorder();
        const first = await start(got, { group: shared, versionGuard: versions });
        await bus.publish([orderPlaced('guarded', 1), orderPlaced('guarded', 2), orderPlaced('guarded', 3)]);
        await until(() => got.versionsOf('guarded').length >= 3, 'versions 1 to 3');
        // A stale version 2 (to the handler, a redelivery behind newer messages looks the same), then version 4.
        await bus.publish([orderPlaced('guarded', 2), orderPlaced('guarded', 4), orderPlaced('other', 1)]);
        await until(() => got.versionsOf('guarded').includes(4) && got.versionsOf('other').length > 0, 'version 4');
        await first.stop(1000);

        // A restarted member of the group, on the same store.
        const again = new DeliveryRecorder();
        await start(again, { group: shared, versionGuard: versions });
        await bus.publish([orderPlaced('guarded', 3), orderPlaced('guarded', 5)]);
        await until(() => again.versionsOf('guarded').includes(5), 'version 5');
        expect(got.versionsOf('guarded')).toEqual([1, 2, 3, 4]);
        expect(again.versionsOf('guarded')).toEqual([5]);
        expect(
          await versions.load({ group: shared, tenantId: null, aggregateType: 'Order', aggregateId: 'guarded' }),
        ).toBe(5);
      },
      testTimeout,
    );

    it(
      'is at-least-once: a message left unacknowledged by a stopped consumer is delivered again',
      async () => {
        const g = group();
        const stuck = new DeliveryRecorder();
        let release!: () => void;
        const hung = new Promise<void>((resolve) => (release = resolve));
        stuck.behaviour = () => hung;
        const subscription = await start(stuck, { group: g });
        const event = orderPlaced('unacked', 1);
        await bus.publish([event]);
        await until(() => stuck.entered.length > 0, 'the handler to start');
        await subscription.stop(100); // gives up on the hung handler

        const successor = new DeliveryRecorder();
        await start(successor, { group: g });
        await until(() => successor.ids().includes(event.eventId), 'the redelivery');
        release();
      },
      testTimeout,
    );
  });
}
