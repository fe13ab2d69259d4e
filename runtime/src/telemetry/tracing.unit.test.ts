import { describe, expect, it } from 'vitest';
import { AggregateRepository } from '../aggregates/aggregate-repository.js';
import { Counter, counterRegistry } from '../test-support/counter-aggregate.js';
import { ConcurrencyError } from '../errors.js';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { SqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import { collect } from '../testing/collect.js';
import { recordSpans } from '../test-support/recorded-spans.js';
import { SpanAttributes, withSpan } from './tracing.js';

describe('without an OpenTelemetry SDK', () => {
  it('runs the work inside a no-op span', async () => {
    const result = await withSpan('eventsmith.test', { a: 1 }, async (span) => {
      expect(span.isRecording()).toBe(false);
      return 42;
    });
    expect(result).toBe(42);
    const store = new InMemoryEventStore({ registry: counterRegistry });
    const counter = new Counter('c1');
    counter.open('x');
    await new AggregateRepository(store, Counter).save(counter);
    expect(await store.getStreamVersion('Counter-c1')).toBe(1);
  });
});

describe('with an in-memory span exporter', () => {
  const { spans, reset } = recordSpans();

  it('traces repository save and the store append inside it', async () => {
    const store = new InMemoryEventStore({ registry: counterRegistry, storeId: 'memory:traced' });
    const repository = new AggregateRepository(store, Counter);
    const counter = new Counter('c1');
    counter.open('x');
    counter.increment(2);
    await repository.save(counter);

    const [save] = spans('eventsmith.repository.save');
    const [append] = spans('eventsmith.store.append');
    expect(save!.attributes).toMatchObject({
      [SpanAttributes.stream]: 'Counter-c1',
      [SpanAttributes.aggregateType]: 'Counter',
      [SpanAttributes.aggregateId]: 'c1',
      [SpanAttributes.expectedVersion]: 0,
      [SpanAttributes.eventCount]: 2,
      [SpanAttributes.version]: 2,
    });
    expect(append!.attributes).toMatchObject({
      [SpanAttributes.stream]: 'Counter-c1',
      [SpanAttributes.eventCount]: 2,
      [SpanAttributes.store]: 'memory:traced',
    });
    expect(append!.parentSpanContext?.spanId).toBe(save!.spanContext().spanId);
    expect(append!.spanContext().traceId).toBe(save!.spanContext().traceId);
  });

  it('traces loads and reads with the version and the number of events read', async () => {
    const store = new InMemoryEventStore({ registry: counterRegistry });
    const repository = new AggregateRepository(store, Counter);
    const counter = new Counter('c1');
    counter.open('x');
    counter.increment(1);
    counter.increment(1);
    await repository.save(counter);
    reset();

    await repository.load('c1');
    await repository.exists('c1');
    await repository.loadAt('c1', { version: 2 });
    await collect(store.readAll({ limit: 2 }));

    const [load] = spans('eventsmith.repository.load');
    expect(load!.attributes).toMatchObject({ [SpanAttributes.stream]: 'Counter-c1', [SpanAttributes.version]: 3 });
    const reads = spans('eventsmith.store.read_stream');
    expect(reads.map((r) => r.attributes[SpanAttributes.eventCount])).toEqual([3, 2]);
    expect(reads[0]!.attributes[SpanAttributes.stream]).toBe('Counter-c1');
    expect(reads[0]!.parentSpanContext?.spanId).toBe(load!.spanContext().spanId);
    expect(spans('eventsmith.repository.exists')[0]!.attributes[SpanAttributes.version]).toBe(3);
    expect(spans('eventsmith.repository.load_at')[0]!.attributes[SpanAttributes.version]).toBe(2);
    expect(spans('eventsmith.store.read_all')[0]!.attributes[SpanAttributes.eventCount]).toBe(2);
  });

  it('marks a failed operation as an error with the exception recorded', async () => {
    const store = new InMemoryEventStore({ registry: counterRegistry });
    const repository = new AggregateRepository(store, Counter);
    const a = new Counter('c1');
    a.open('x');
    await repository.save(a);
    const stale = new Counter('c1');
    stale.open('y');
    await expect(repository.save(stale)).rejects.toBeInstanceOf(ConcurrencyError);
    const failed = spans('eventsmith.store.append').at(-1)!;
    expect(failed.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(failed.events.some((e) => e.name === 'exception')).toBe(true);
    expect(spans('eventsmith.repository.save').at(-1)!.status.code).toBe(2);
  });

  it('traces a SQLite append written at once, on a free writer, as one that waited for it, failures included', async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry: counterRegistry });
    try {
      const repository = new AggregateRepository(store, Counter);
      const a = new Counter('c1');
      a.open('x');
      await repository.save(a);
      const [append] = spans('eventsmith.store.append');
      expect(append!.attributes[SpanAttributes.stream]).toBe('Counter-c1');
      expect(append!.attributes[SpanAttributes.eventCount]).toBe(1);
      expect(append!.parentSpanContext?.spanId).toBe(spans('eventsmith.repository.save')[0]!.spanContext().spanId);
      const stale = new Counter('c1');
      stale.open('y');
      await expect(repository.save(stale)).rejects.toBeInstanceOf(ConcurrencyError);
      const failed = spans('eventsmith.store.append').at(-1)!;
      expect(failed.status.code).toBe(2); // SpanStatusCode.ERROR
      expect(failed.events.some((e) => e.name === 'exception')).toBe(true);
    } finally {
      await store.close();
    }
  });
});
