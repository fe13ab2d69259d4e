// Shared tests of how the SQL stores decode rows at their type's current version: called by each
// store's tests only.
import type { Kysely } from 'kysely';
import { expect, it } from 'vitest';
import { EventValidationError } from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import { readPage } from '../store/feed-page.js';
import { UndecodableEventError } from '../store/undecodable-event-error.js';
import { collect } from './collect.js';
import { ConformanceNoted, ConformanceRenamed } from './conformance-events.js';
import type { SqlStoreUnderTest } from './server-store-suite.js';
import { newStream, noted, useStore } from './store-conformance-context.js';

/**
 * Rows at their type's current version are decoded straight into the event class; anything that
 * fails there is decoded again the general way. Each test, on a fresh store from `factory`
 * (opened with `conformanceRegistry`), checks that nothing a reader sees differs: a payload the
 * schema refuses, immutability and equality of what readAll, readPage and readStream return, a
 * type stored under an alias. Rows are changed behind the store through its `db`.
 *
 * @example
 * ```ts
 * currentVersionDecodeSuite(async () => {
 *   const store = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry });
 *   return { store, teardown: () => store.close() };
 * });
 * ```
 */
export function currentVersionDecodeSuite<S extends EventStore & { readonly db: Kysely<any> }>(
  factory: () => Promise<SqlStoreUnderTest<S>>,
): void {
  const fresh = useStore(factory);
  // Changes a column of one stored event behind the store.
  const rewrite = async (column: 'data' | 'event_type', value: string, eventId: string) => {
    const { db } = fresh();
    await db
      .updateTable('eventsmith_events')
      .set({ [column]: value })
      .where('event_id', '=', eventId)
      .execute();
  };

  it('a stored payload the schema refuses is an UndecodableEventError carrying the record as stored, where the feed reaches it', async () => {
    const store = fresh();
    const s = newStream();
    const [before, bad, after] = noted(s, 3);
    await store.appendToStream(s.streamId, [before!, bad!, after!], { expectedVersion: 'no_stream' });
    // Written at version 1 like any ConformanceNoted, but `text` is a number.
    await rewrite('data', '{"text":5,"n":2}', bad!.eventId);

    const seen: string[] = [];
    const error = await (async () => {
      for await (const stored of store.readAll()) seen.push(stored.event.eventId);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([before!.eventId]);
    expect(error).toBeInstanceOf(UndecodableEventError);
    const undecodable = error as UndecodableEventError;
    expect(undecodable).toMatchObject({ code: 'STORE.UNDECODABLE_EVENT', streamId: s.streamId, streamVersion: 2 });
    expect(undecodable.record).toEqual({
      eventId: bad!.eventId,
      eventType: 'ConformanceNoted',
      eventVersion: 1,
      aggregateId: s.aggregateId,
      aggregateType: s.aggregateType,
      aggregateVersion: 2,
      occurredAt: bad!.occurredAt.toISOString(),
      tenantId: null,
      actorId: null,
      correlationId: bad!.correlationId,
      causationId: null,
      metadata: {},
      data: { text: 5, n: 2 },
    });
    expect(undecodable.cause).toBeInstanceOf(EventValidationError);
    expect(undecodable.reason).toMatch(/text/);

    // The manager's page read ends the page before it, then reports it first.
    const page = await readPage(store, { limit: 10 });
    expect(page.map((e) => e.event.eventId)).toEqual([before!.eventId]);
    const thrown = await readPage(store, { after: page[0]!.position, limit: 10 }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(UndecodableEventError);
    expect((thrown as UndecodableEventError).position.equals(undecodable.position)).toBe(true);
    expect((await collect(store.readAll({ after: undecodable.position }))).map((e) => e.event.eventId)).toEqual([
      after!.eventId,
    ]);

    // A stream read reports the registry's own error, as before.
    const streamError = await collect(store.readStream(s.streamId)).catch((e: unknown) => e);
    expect(streamError).toBeInstanceOf(EventValidationError);
  });

  it('events read back are immutable (envelope, payload, metadata and dates) and equal to those appended', async () => {
    const store = fresh();
    const s = newStream();
    const occurredAt = new Date('2026-01-02T03:04:05.678Z');
    const events = noted(s, 3, { occurredAt, metadata: { source: { system: 'x' } }, tenantId: 't', actorId: 'a' });
    await store.appendToStream(s.streamId, events, { expectedVersion: 'no_stream' });
    for (const read of [
      await collect(store.readAll()),
      await readPage(store, { limit: 10 }),
      await collect(store.readStream(s.streamId)),
    ]) {
      expect(read).toHaveLength(3);
      for (const { event, storedAt } of read) {
        expect(event).toBeInstanceOf(ConformanceNoted);
        expect(Object.isFrozen(event)).toBe(true);
        expect(Object.isFrozen(event.data)).toBe(true);
        expect(Object.isFrozen(event.metadata)).toBe(true);
        expect(Object.isFrozen(event.metadata['source'])).toBe(true);
        expect(() => ((event as { aggregateId: string }).aggregateId = 'other')).toThrow(TypeError);
        expect(() => ((event.data as { n: number }).n = 99)).toThrow(TypeError);
        expect(() => event.occurredAt.setTime(0)).toThrow(TypeError);
        expect(event.occurredAt.getTime()).toBe(occurredAt.getTime());
        expect(event.isExplicit('tenantId') && event.isExplicit('actorId')).toBe(true);
        expect(event.isExplicit('causationId')).toBe(false);
        expect(storedAt).toBeInstanceOf(Date);
      }
      // Every event has a stored time of its own: changing one changes no other.
      read[0]!.storedAt.setTime(0);
      expect(read[1]!.storedAt.getTime()).not.toBe(0);
      expect(read.map((r) => ({ ...r.event }))).toEqual(events.map((e, i) => ({ ...e, aggregateVersion: i + 1 })));
      expect(read.map((r) => r.event.toJSON())).toEqual(
        events.map((e, i) => ({ ...e.toJSON(), aggregateVersion: i + 1 })),
      );
    }
  });

  it('a type stored under an alias at the current version decodes to its class', async () => {
    const store = fresh();
    const s = newStream();
    const renamed = new ConformanceRenamed({ label: 'x' }, { aggregateId: s.aggregateId });
    await store.appendToStream(s.streamId, [renamed], { expectedVersion: 'no_stream' });
    await rewrite('event_type', 'ConformanceLegacyName', renamed.eventId);
    for (const [read] of [
      await collect(store.readAll({ eventTypes: ['ConformanceRenamed'] })),
      await collect(store.readStream(s.streamId)),
    ]) {
      expect(read!.event).toBeInstanceOf(ConformanceRenamed);
      expect(read!.event.eventType).toBe('ConformanceRenamed');
      expect(read!.event.data).toEqual({ label: 'x' });
    }
  });
}
