import { context, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { afterEach, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { redisTestBus } from '@eventsmith/test/support/redis-bus';
import { busConformanceRegistry, busConformanceSuite, orderPlaced, sleep } from '../../testing/bus-conformance.js';
import { BusPublishError } from '../bus-errors.js';
import { partitionOf } from '../partitioning.js';
import { TAKE_DUE_ALL } from './redis-scripts.js';

await describeWithService('redis', 'RedisEventBus', () => {
  busConformanceSuite('RedisEventBus', async ({ registry }) => {
    const { bus, admin, peer, cleanup } = await redisTestBus(registry);
    return {
      bus,
      newerBus: async (newer) => peer({ registry: newer }),
      publishRaw: async (body) => {
        await admin.xadd(bus.keys.stream(0), '*', 'key', 'raw', 'body', body);
      },
      teardown: cleanup,
    };
  });
});

await describeWithService('redis', 'RedisEventBus specifics', () => {
  const registry = busConformanceRegistry();
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('trims partition streams with MAXLEN ~', async () => {
    const fixture = await redisTestBus(registry, { partitions: 1, retention: { maxLength: 100 } });
    cleanup = fixture.cleanup;
    for (let i = 0; i < 10; i++)
      await fixture.bus.publish(Array.from({ length: 100 }, (_, j) => orderPlaced(`trim-${j}`, i + 1)));
    expect(await fixture.admin.xlen(fixture.bus.keys.stream(0))).toBeLessThanOrEqual(300);
  });

  it('trims partition streams by age with MINID ~', async () => {
    const fixture = await redisTestBus(registry, { partitions: 1, retention: { maxAgeMs: 200 } });
    cleanup = fixture.cleanup;
    for (let i = 0; i < 5; i++)
      await fixture.bus.publish(Array.from({ length: 100 }, (_, j) => orderPlaced(`old-${j}`, i + 1)));
    await sleep(300);
    await fixture.bus.publish([orderPlaced('fresh', 1)]);
    expect(await fixture.admin.xlen(fixture.bus.keys.stream(0))).toBeLessThan(200);
  });

  it('appends a batch larger than one script call to the right partitions, in order', async () => {
    const fixture = await redisTestBus(registry, { partitions: 2 });
    cleanup = fixture.cleanup;
    // 700 events: three script calls; 7 aggregates with 100 versions each, interleaved.
    const events = Array.from({ length: 700 }, (_, i) => orderPlaced(`big-${i % 7}`, Math.floor(i / 7) + 1));
    await fixture.bus.publish(events);
    const versions = new Map<string, number[]>();
    for (const partition of [0, 1]) {
      for (const [, list] of (await fixture.admin.xrange(fixture.bus.keys.stream(partition), '-', '+')) as [
        string,
        string[],
      ][]) {
        const fields = Object.fromEntries(list.flatMap((v, i, all) => (i % 2 === 0 ? [[v, all[i + 1]]] : [])));
        const record = JSON.parse(fields['body']!) as { aggregateId: string; aggregateVersion: number };
        expect(partitionOf(fields['key']!, 2)).toBe(partition);
        versions.set(record.aggregateId, [...(versions.get(record.aggregateId) ?? []), record.aggregateVersion]);
      }
    }
    expect(versions.size).toBe(7);
    for (const list of versions.values()) expect(list).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('rejects a publish the server refuses, and appends nothing after the failing script call', async () => {
    const fixture = await redisTestBus(registry, { partitions: 2 });
    cleanup = fixture.cleanup;
    // Partition 1 is not a stream: its first entry fails the call it is in.
    await fixture.admin.set(fixture.bus.keys.stream(1), 'not a stream');
    const idsOn = (partition: number, count: number) => {
      const ids: string[] = [];
      for (let i = 0; ids.length < count; i++)
        if (partitionOf(`Order-p${partition}-${i}`, 2) === partition) ids.push(`p${partition}-${i}`);
      return ids;
    };
    const [zero, [one]] = [idsOn(0, 300), idsOn(1, 1)];
    // 301 events, two calls: the first fails at its 101st entry; the second holds only partition 0 entries.
    const events = [...zero.slice(0, 100), one!, ...zero.slice(100)].map((id) => orderPlaced(id, 1));
    expect(events.length).toBeGreaterThan(256);
    await expect(fixture.bus.publish(events)).rejects.toBeInstanceOf(BusPublishError);
    // What came before the failure in its call may be there; nothing from a later call is.
    expect(await fixture.admin.xlen(fixture.bus.keys.stream(0))).toBeLessThanOrEqual(100);
  });

  it('writes the trace context and the event type as entry fields, and the record as the body', async () => {
    const fixture = await redisTestBus(registry, { partitions: 1 });
    cleanup = fixture.cleanup;
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = trace.setSpanContext(context.active(), {
      traceId,
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
    });
    const event = orderPlaced('fields', 1);
    await context.with(parent, () => fixture.bus.publish([event]));
    propagation.disable();
    context.disable();
    const [[, list]] = (await fixture.admin.xrange(fixture.bus.keys.stream(0), '-', '+')) as [[string, string[]]];
    const fields = Object.fromEntries(list.flatMap((v, i, all) => (i % 2 === 0 ? [[v, all[i + 1]]] : [])));
    expect(fields['traceparent']).toMatch(new RegExp(`^00-${traceId}-`));
    expect(fields['eventsmith-event-type']).toBe('conformance.OrderPlaced');
    expect(JSON.parse(fields['body']!)).toMatchObject({ eventId: event.eventId, eventVersion: 2 });
  });
});

await describeWithService('redis', 'Redis bus scripts', () => {
  it('takes due retries idempotently: a resend of the same call returns what the first run took', async () => {
    const fixture = await redisTestBus(busConformanceRegistry(), { partitions: 1 });
    try {
      const key = `${fixture.prefix}:g:scripts:retry:0`;
      await fixture.admin.zadd(key, 100, 'due-a', 200, 'due-b', 10_000, 'later');
      const first = await TAKE_DUE_ALL.run(fixture.admin, [key], [500, 60_500, 100]);
      expect(first).toEqual([['due-a', 'due-b']]);
      // The same arguments again, as ioredis sends them after losing the first reply.
      expect(await TAKE_DUE_ALL.run(fixture.admin, [key], [500, 60_500, 100])).toEqual([['due-a', 'due-b']]);
      // A later poll (new arguments) sees them hidden.
      expect(await TAKE_DUE_ALL.run(fixture.admin, [key], [600, 60_600, 100])).toEqual([[]]);
      expect(await fixture.admin.zscore(key, 'later')).toBe('10000');
    } finally {
      await fixture.cleanup();
    }
  });
});
