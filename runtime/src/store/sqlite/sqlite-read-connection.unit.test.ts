import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { collect, conformanceRegistry } from '../../testing/conformance.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { readFeedPage } from '../feed-page.js';
import type { Position } from '../position.js';
import { SqliteEventStore } from './sqlite-event-store.js';

// Reads run on the writer connection while it is idle and on the reader otherwise: whichever it
// is, a read sees committed events only and never fails because the writer is in use.
describe('SqliteEventStore reads beside the writer', () => {
  async function open() {
    const dir = mkdtempSync(join(tmpdir(), 'eventsmith-sqlite-reads-'));
    const filename = join(dir, 'events.db');
    const store = await SqliteEventStore.open({ filename, registry: conformanceRegistry });
    return {
      store,
      filename,
      teardown: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  /** Every kind of read, of one stream and of the feed after `after`. */
  async function reads(store: SqliteEventStore, streamId: string, eventId: string, after: Position) {
    return {
      stream: (await collect(store.readStream(streamId))).map((e) => e.event.eventId),
      backward: (await collect(store.readStream(streamId, { direction: 'backward' }))).map((e) => e.event.eventId),
      version: await store.getStreamVersion(streamId),
      exists: await store.eventExists(eventId),
      head: (await store.currentPosition())?.toString(),
      feed: (await collect(store.readAll({ after }))).map((e) => e.event.eventId),
      page: store[readFeedPage]({ after, limit: 10 })?.events.map((e) => e.event.eventId),
    };
  }

  it('do not see rows of a transaction begun by hand on db (not through transaction()), before or after it rolls back', async () => {
    const { store, teardown } = await open();
    try {
      const a = newStream();
      const first = await store.appendToStream(a.streamId, noted(a, 1), { expectedVersion: 'no_stream' });
      const committed = await reads(store, a.streamId, 'not-stored', first.position);
      const b = newStream();
      const eventId = 'by-hand-1';
      // Each statement takes the writer and gives it back: the transaction stays open on it between them.
      await sql`begin immediate`.execute(store.db);
      try {
        const at = new Date().toISOString();
        await store.db
          .insertInto('eventsmith_events')
          .values({
            stream_id: b.streamId,
            version: 1,
            event_id: eventId,
            event_type: 'ConformanceNoted',
            event_version: 1,
            aggregate_type: b.aggregateType,
            aggregate_id: b.aggregateId,
            tenant_id: null,
            occurred_at: at,
            actor_id: null,
            correlation_id: eventId,
            causation_id: null,
            metadata: '{}',
            data: JSON.stringify({ text: 'uncommitted', n: 1 }),
            stored_at: at as never, // SQLite has no default for it
          })
          .execute();
        await store.db
          .insertInto('eventsmith_streams')
          .values({ stream_id: b.streamId, version: 1, tenant_id: null })
          .execute();
        expect(await reads(store, b.streamId, eventId, first.position)).toEqual({
          ...committed,
          stream: [],
          backward: [],
          version: 0,
          exists: false,
        });
      } finally {
        await sql`rollback`.execute(store.db);
      }
      expect(await reads(store, b.streamId, eventId, first.position)).toMatchObject({ version: 0, feed: [] });
    } finally {
      await teardown();
    }
  });

  it('do not see the appends of an open transaction() nor those waiting for it in a group-commit batch, and see them once committed', async () => {
    const { store, teardown } = await open();
    try {
      const a = newStream();
      const first = await store.appendToStream(a.streamId, noted(a, 1), { expectedVersion: 'no_stream' });
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let holding!: () => void;
      const holds = new Promise<void>((resolve) => (holding = resolve));
      const streams = [newStream(), newStream(), newStream(), newStream()];
      const events = streams.map((s) => noted(s, 1)[0]!);
      // A transaction holds the writer with an append of its own, so the appends below wait for it together.
      const transaction = store.transaction(async (tx) => {
        await tx.appendToStream(streams[0]!.streamId, [events[0]!], { expectedVersion: 'no_stream' });
        holding();
        await held;
      });
      await holds;
      const appends = streams
        .slice(1)
        .map((s, i) => store.appendToStream(s.streamId, [events[i + 1]!], { expectedVersion: 'no_stream' }));
      for (const [i, s] of streams.entries()) {
        expect(await reads(store, s.streamId, events[i]!.eventId, first.position)).toMatchObject({
          stream: [],
          version: 0,
          exists: false,
          feed: [],
          page: [],
        });
      }
      release();
      await transaction;
      await Promise.all(appends);
      for (const [i, s] of streams.entries()) {
        expect(await reads(store, s.streamId, events[i]!.eventId, first.position)).toMatchObject({
          stream: [events[i]!.eventId],
          version: 1,
          exists: true,
          feed: events.map((e) => e.eventId),
        });
      }
    } finally {
      await teardown();
    }
  });

  it('see what another connection committed while a query streams its rows on db', async () => {
    const { store, filename, teardown } = await open();
    const other = await SqliteEventStore.open({ filename, registry: conformanceRegistry });
    try {
      const a = newStream();
      await store.appendToStream(a.streamId, noted(a, 3), { expectedVersion: 'no_stream' });
      const seen: string[][] = [];
      const written: string[][] = [];
      // The streaming statement keeps a read snapshot open on the writer connection until it ends:
      // a read that ran on that connection would not see the later commits of another connection.
      for await (const row of store.db.selectFrom('eventsmith_events').select('event_id').stream()) {
        const b = newStream();
        const [event] = noted(b, 1);
        await other.appendToStream(b.streamId, [event!], { expectedVersion: 'no_stream' });
        written.push([row.event_id, event!.eventId]);
        seen.push([row.event_id, ...(await collect(store.readStream(b.streamId))).map((e) => e.event.eventId)]);
        expect(await store.getStreamVersion(b.streamId)).toBe(1);
        expect(await store.eventExists(event!.eventId)).toBe(true);
      }
      expect(seen).toHaveLength(3);
      expect(seen).toEqual(written);
    } finally {
      await other.close();
      await teardown();
    }
  });
});
