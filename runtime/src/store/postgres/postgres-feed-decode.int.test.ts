import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { EventValidationError } from '../../errors.js';
import { collect, conformanceRegistry } from '../../testing/conformance.js';
import { ConformanceNoted, ConformanceRenamed } from '../../testing/conformance-events.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { readPage } from '../feed-page.js';
import { UndecodableEventError } from '../undecodable-event-error.js';
import { PostgresEventStore } from './postgres-event-store.js';

/**
 * Rows at their type's current version are decoded straight into the event class; anything that
 * fails there is decoded again the general way. These check that nothing a reader sees differs.
 */
await describeWithService('postgres', 'PostgresEventStore: rows at the current version', () => {
  async function withStore(fn: (store: PostgresEventStore) => Promise<void>): Promise<void> {
    const { url, drop } = await freshPostgresDatabase();
    const store = await PostgresEventStore.open({ url, registry: conformanceRegistry, pageSize: 2 });
    try {
      await fn(store);
    } finally {
      await store.close();
      await drop();
    }
  }

  it('a stored payload the schema refuses is an UndecodableEventError carrying the record as stored, where the feed reaches it', async () => {
    await withStore(async (store) => {
      const s = newStream();
      const [before, bad, after] = noted(s, 3);
      await store.appendToStream(s.streamId, [before!, bad!, after!], { expectedVersion: 'no_stream' });
      // Written at version 1 like any ConformanceNoted, but `text` is a number.
      await sql`update eventsmith_events set data = '{"text":5,"n":2}'::jsonb where event_id = ${bad!.eventId}`.execute(
        store.db,
      );

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
  });

  it('events read back are immutable: envelope, payload, metadata and dates', async () => {
    await withStore(async (store) => {
      const s = newStream();
      const occurredAt = new Date('2026-01-02T03:04:05.678Z');
      const events = noted(s, 3, { occurredAt, metadata: { source: { system: 'x' } } });
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
          expect(storedAt).toBeInstanceOf(Date);
        }
        // Every event has a stored time of its own: changing one changes no other.
        read[0]!.storedAt.setTime(0);
        expect(read[1]!.storedAt.getTime()).not.toBe(0);
        expect(read.map((r) => r.event.toJSON())).toEqual(
          events.map((e, i) => ({ ...e.toJSON(), aggregateVersion: i + 1 })),
        );
      }
    });
  });

  it('a type stored under an alias at the current version decodes to its class', async () => {
    await withStore(async (store) => {
      const s = newStream();
      const renamed = new ConformanceRenamed({ label: 'x' }, { aggregateId: s.aggregateId });
      await store.appendToStream(s.streamId, [renamed], { expectedVersion: 'no_stream' });
      await sql`update eventsmith_events set event_type = 'ConformanceLegacyName' where event_id = ${renamed.eventId}`.execute(
        store.db,
      );
      for (const [read] of [
        await collect(store.readAll({ eventTypes: ['ConformanceRenamed'] })),
        await collect(store.readStream(s.streamId)),
      ]) {
        expect(read!.event).toBeInstanceOf(ConformanceRenamed);
        expect(read!.event.eventType).toBe('ConformanceRenamed');
        expect(read!.event.data).toEqual({ label: 'x' });
      }
    });
  });
});
