import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type DataPoint,
  type Histogram,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AggregateRepository } from '../aggregates/aggregate-repository.js';
import { Counter, counterRegistry } from '../test-support/counter-aggregate.js';
import { InMemoryEventBus } from '../bus/memory/in-memory-event-bus.js';
import { InMemorySnapshotStore } from '../snapshots/memory/in-memory-snapshot-store.js';
import { everyNEvents } from '../snapshots/snapshot-store.js';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { SqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import { InMemoryDeadLetterQueue } from '../subscriptions/in-memory-dead-letter-queue.js';
import { SubscriptionManager } from '../subscriptions/subscription-manager.js';
import { appendDeposits, registry, waitFor } from '../test-support/subscription-fixtures.js';
import { MetricNames } from './metrics.js';

// The SDK's in-memory exporter behind a reader that exports only when the test flushes it.
const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
const meterProvider = new MeterProvider({ readers: [reader] });
const spans = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  // The SDK is typed against the API release it peers with (1.9); the runtime's is 1.10. Same API at run time.
  metrics.setGlobalMeterProvider(meterProvider as unknown as Parameters<typeof metrics.setGlobalMeterProvider>[0]);
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
});
afterAll(async () => {
  await meterProvider.shutdown();
  metrics.disable();
  trace.disable();
  propagation.disable();
  context.disable();
});

const managers: SubscriptionManager[] = [];
beforeEach(() => {
  exporter.reset();
  spans.reset();
});
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop(1000)));
});

/** Every data point of `name` exported so far, newest collection last. */
async function points(name: string): Promise<DataPoint<unknown>[]> {
  await reader.forceFlush();
  const last = exporter.getMetrics().at(-1);
  const metric = last?.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as DataPoint<unknown>[];
}

/** The value of `name` for the data point whose attributes include `attributes`. */
async function value(name: string, attributes: Record<string, unknown>): Promise<unknown> {
  const found = (await points(name)).find((p) =>
    Object.entries(attributes).every(([key, v]) => p.attributes[key] === v),
  );
  return found?.value;
}

describe('subscription metrics', () => {
  it('count handled events, time each handler call, and report lag while running', async () => {
    const store = new InMemoryEventStore({ registry });
    await appendDeposits(store, 30);
    const manager = new SubscriptionManager({ store, pollIntervalMs: 20 });
    managers.push(manager);
    let seen = 0;
    manager.subscribe(
      () => {
        seen++;
      },
      { name: 'metrics-handled' },
    );
    await manager.start();
    await waitFor(() => seen === 30, 'catch-up', 60_000);
    await waitFor(async () => (await manager.status('metrics-handled')).lagEvents === 0, 'checkpoint', 60_000);
    const who = { 'eventsmith.subscription': 'metrics-handled' };
    expect(await value(MetricNames.subscriptionEventsHandled, who)).toBe(30);
    expect((await value(MetricNames.subscriptionHandlerDuration, who)) as Histogram).toMatchObject({ count: 30 });
    expect(await value(MetricNames.subscriptionLag, who)).toBe(0);
    expect(await value(MetricNames.subscriptionLagTime, who)).toBe(0);

    // Stopped, the manager no longer observes lag: five later appends do not show (the SDK keeps
    // the last observed value of a cumulative gauge).
    await manager.stop(1000);
    await appendDeposits(store, 5, { start: 31 });
    expect(await value(MetricNames.subscriptionLag, who)).toBe(0);
  });

  it('report the lag of a subscription that is behind, in events and seconds', async () => {
    const store = new InMemoryEventStore({ registry });
    await appendDeposits(store, 12);
    const manager = new SubscriptionManager({ store, pollIntervalMs: 20 });
    managers.push(manager);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    manager.subscribe(() => gate, { name: 'metrics-lagging', handlerTimeoutMs: 60_000 });
    await manager.start();
    const who = { 'eventsmith.subscription': 'metrics-lagging' };
    expect(await value(MetricNames.subscriptionLag, who)).toBe(12);
    expect(await value(MetricNames.subscriptionLagTime, who)).toBeGreaterThanOrEqual(0);
    release();
  });

  it('count events parked in the dead-letter queue', async () => {
    const store = new InMemoryEventStore({ registry });
    await appendDeposits(store, 3);
    const deadLetters = new InMemoryDeadLetterQueue();
    const manager = new SubscriptionManager({ store, deadLetters, pollIntervalMs: 20 });
    managers.push(manager);
    manager.subscribe(
      () => {
        throw new Error('always fails');
      },
      { name: 'metrics-failing', retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 2 } },
    );
    await manager.start();
    await waitFor(
      async () => (await deadLetters.list({ subscription: 'metrics-failing' })).length === 3,
      'parked',
      60_000,
    );
    expect(await value(MetricNames.subscriptionDeadLetters, { 'eventsmith.subscription': 'metrics-failing' })).toBe(3);
  });
});

describe('repository and store metrics', () => {
  it('count snapshot hits and misses, and time appends per store', async () => {
    const store = new InMemoryEventStore({ registry: counterRegistry, storeId: 'memory:metrics' });
    const repository = new AggregateRepository(store, Counter, {
      snapshots: { store: new InMemorySnapshotStore(), policy: everyNEvents(2) },
    });
    const counter = new Counter('m1');
    counter.open('metrics');
    counter.increment();
    await repository.save(counter); // two events: a snapshot is taken
    const fresh = new Counter('m2');
    fresh.open('no snapshot');
    await repository.save(fresh);
    await repository.load('m1'); // from the snapshot
    await repository.load('m2'); // no snapshot yet (one event)
    await repository.load('m2');
    const counterType = { 'eventsmith.aggregate_type': 'Counter' };
    expect(await value(MetricNames.snapshotHits, counterType)).toBe(1);
    expect(await value(MetricNames.snapshotMisses, counterType)).toBe(2);
    const appends = (await value(MetricNames.storeAppendDuration, { 'eventsmith.store_id': 'memory:metrics' })) as
      Histogram | undefined;
    expect(appends?.count).toBe(2);
    const reads = (await value(MetricNames.storeReadDuration, { 'eventsmith.store_id': 'memory:metrics' })) as
      Histogram | undefined;
    expect(reads?.count).toBeGreaterThanOrEqual(3);
  });
});

describe('SQL store read metrics', () => {
  it('time each readStream and readAll once, whether it runs to the end or is abandoned', async () => {
    const store = await SqliteEventStore.open({
      filename: ':memory:',
      registry: counterRegistry,
      storeId: 'sqlite:metrics',
    });
    try {
      const repository = new AggregateRepository(store, Counter);
      const counter = new Counter('s1');
      counter.open('sql reads');
      counter.increment();
      counter.increment();
      await repository.save(counter); // three events
      expect((await repository.load('s1')).version).toBe(3); // one readStream
      let streamed = 0;
      for await (const _ of store.readStream('Counter-s1')) streamed++;
      let fed = 0;
      for await (const _ of store.readAll()) fed++;
      for await (const _ of store.readAll()) break; // abandoned after its first event
      expect([streamed, fed]).toEqual([3, 3]);
      const reads = (await value(MetricNames.storeReadDuration, { 'eventsmith.store_id': 'sqlite:metrics' })) as
        Histogram | undefined;
      expect(reads?.count).toBe(4); // one per read, not one per event
      expect(reads?.sum).toBeGreaterThan(0);
      // The save's append found the writer free and was written within the call: timed as well.
      const appends = (await value(MetricNames.storeAppendDuration, { 'eventsmith.store_id': 'sqlite:metrics' })) as
        Histogram | undefined;
      expect(appends?.count).toBe(1);
    } finally {
      await store.close();
    }
  });
});

describe('bus metrics', () => {
  it('count published, consumed, redelivered and dead-lettered messages by group', async () => {
    const bus = new InMemoryEventBus({ registry: counterRegistry });
    const handled: string[] = [];
    const ok = bus.subscribe(({ event }) => void handled.push(event.eventId), { group: 'metrics-ok' });
    const failing = bus.subscribe(
      () => {
        throw new Error('no');
      },
      { group: 'metrics-failing', maxAttempts: 2, retryDelayMs: 1 },
    );
    await ok.start();
    await failing.start();
    const counter = new Counter('b1');
    counter.open('bus');
    counter.increment();
    await bus.publish(counter.uncommittedEvents);
    await waitFor(
      async () =>
        (await value(MetricNames.busDeadLettered, { 'messaging.consumer.group.name': 'metrics-failing' })) === 2,
      'dead letters',
      60_000,
    );
    expect(handled).toHaveLength(2);
    expect(await value(MetricNames.busPublished, { 'messaging.system': 'memory' })).toBe(2);
    expect(await value(MetricNames.busConsumed, { 'messaging.consumer.group.name': 'metrics-ok' })).toBe(2);
    expect(await value(MetricNames.busRedelivered, { 'messaging.consumer.group.name': 'metrics-failing' })).toBe(2);
    expect(
      await value(MetricNames.busConsumed, { 'messaging.consumer.group.name': 'metrics-failing' }),
    ).toBeUndefined();
    await ok.stop();
    await failing.stop();
  });
});

describe('subscription spans', () => {
  it('link each batch to the trace of the command that wrote its events', async () => {
    const store = new InMemoryEventStore({ registry: counterRegistry });
    const repository = new AggregateRepository(store, Counter);
    const tracer = trace.getTracer('test');
    const commandTrace = await tracer.startActiveSpan('command', async (span) => {
      const counter = new Counter('t1');
      counter.open('traced');
      await repository.save(counter);
      span.end();
      return span.spanContext().traceId;
    });
    const stored = (await repository.load('t1')).version;
    expect(stored).toBe(1);
    const manager = new SubscriptionManager({ store, pollIntervalMs: 20 });
    managers.push(manager);
    let seen = 0;
    manager.subscribe(() => void seen++, { name: 'metrics-traced' });
    await manager.start();
    await waitFor(() => seen === 1, 'delivery', 60_000);
    await waitFor(
      () => spans.getFinishedSpans().some((s) => s.name === 'eventsmith.subscription.batch'),
      'span',
      60_000,
    );
    const batch = spans.getFinishedSpans().find((s) => s.name === 'eventsmith.subscription.batch')!;
    expect(batch.attributes['eventsmith.subscription']).toBe('metrics-traced');
    expect(batch.spanContext().traceId).not.toBe(commandTrace);
    expect(batch.links.map((l) => l.context.traceId)).toEqual([commandTrace]);
  });
});
