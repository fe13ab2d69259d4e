import { createConnection } from 'mysql2/promise';
import { expect, it } from 'vitest';
import { describeWithService, freshMysqlDatabase } from '@eventsmith/test/support/services';
import { collect } from '../../testing/collect.js';
import { conformanceRegistry } from '../../testing/conformance.js';
import { ConformanceNoted, ConformanceTree } from '../../testing/conformance-events.js';
import { currentVersionDecodeSuite } from '../../testing/current-version-decode-suite.js';
import { checkReadAheadFeedSeesEveryEventOnce } from '../../testing/never-skip-checks.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import type { StoredEvent } from '../event-store.js';
import { MysqlEventStore } from './mysql-event-store.js';

await describeWithService('mysql', 'MysqlEventStore reads (packed rows)', () => {
  it('returns every column as written: stream reads both ways, the feed, a feed filtered by several types, a tenant view', async () => {
    const { url, drop } = await freshMysqlDatabase();
    // Pages of two rows, so that every read goes on from a page to the next.
    const store = await MysqlEventStore.open({ url, registry: conformanceRegistry, pageSize: 2 });
    try {
      // Positions past 2^53, which a JSON number would not keep exactly.
      const admin = await createConnection(url);
      await admin.query('update eventsmith_positions set value = ? where id = 1', ['9007199254740993']);
      await admin.end();
      const s = newStream();
      const awkward =
        'q"uote \\ back\\\\slash / \nline\r\ttab \u0001 \u001f \u007f \u2028\u2029 é ß 中 😀 </script> {"x":1} [1,2] \'';
      const tree = {
        [awkward]: [awkward, 1e300, -1.5e-300, 12345678901234567000, 0.1, 5e-324, true, false, null, { '': {}, a: [] }],
      };
      const tenant = `t ${awkward}`;
      const events = [
        new ConformanceNoted(
          { text: awkward, n: -7 },
          {
            aggregateId: s.aggregateId,
            tenantId: tenant,
            actorId: `a ${awkward}`,
            correlationId: `c ${awkward}`,
            causationId: `k ${awkward}`,
            metadata: { note: awkward, tree, nested: { list: [1, 'two', null, 1e300, 12345678901234567000] } },
            occurredAt: new Date('1970-01-01T00:00:00.001Z'),
          },
        ),
        new ConformanceTree({ value: tree }, { aggregateId: s.aggregateId, tenantId: tenant }),
        new ConformanceNoted(
          { text: '', n: 0 },
          {
            aggregateId: s.aggregateId,
            tenantId: tenant,
            occurredAt: new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)),
          },
        ),
      ];
      await store.appendToStream(s.streamId, events, { expectedVersion: 'no_stream' });
      const expected = events.map((e, i) => ({ ...e.toJSON(), data: e.data, aggregateVersion: i + 1 }));
      const seen = (read: StoredEvent[]) => read.map((r) => ({ ...r.event.toJSON(), data: r.event.data }));

      const forward = await collect(store.readStream(s.streamId));
      expect(seen(forward)).toEqual(expected);
      expect(forward.map((r) => r.event.metadata)).toEqual(events.map((e) => e.metadata));
      expect(forward.map((r) => [r.streamId, r.streamVersion, r.storedAt instanceof Date])).toEqual(
        forward.map((_, i) => [s.streamId, i + 1, true]),
      );
      expect(forward.map((r) => r.position.value)).toEqual([9007199254740994n, 9007199254740995n, 9007199254740996n]);
      expect(forward.map((r) => r.event.occurredAt.toISOString())).toEqual([
        '1970-01-01T00:00:00.001Z',
        forward[1]!.event.occurredAt.toISOString(),
        '9999-12-31T23:59:59.999Z',
      ]);
      expect(Object.isFrozen(forward[1]!.event.data)).toBe(true);
      expect(Object.isFrozen(forward[0]!.event.metadata)).toBe(true);

      const backward = await collect(store.readStream(s.streamId, { direction: 'backward' }));
      expect(seen(backward)).toEqual(seen(forward).reverse());
      expect(seen(await collect(store.readStream(s.streamId, { from: 2, to: 3 })))).toEqual(seen(forward).slice(1));

      const feed = await collect(store.readAll());
      expect(seen(feed)).toEqual(seen(forward));
      expect(feed.map((r) => [r.streamId, r.streamVersion, r.position])).toEqual(
        forward.map((r) => [r.streamId, r.streamVersion, r.position]),
      );
      expect(seen(await collect(store.readAll({ after: forward[0]!.position })))).toEqual(seen(forward).slice(1));
      // Two types: a union of one branch per type, each packed, in position order.
      const filtered = await collect(store.readAll({ eventTypes: ['ConformanceTree', 'ConformanceNoted'] }));
      expect(seen(filtered)).toEqual(seen(forward));
      expect(filtered.map((r) => r.position)).toEqual(forward.map((r) => r.position));

      const view = store.forTenant(tenant);
      expect(seen(await collect(view.readStream(s.streamId)))).toEqual(seen(forward));
      expect(seen(await collect(view.readAll()))).toEqual(seen(forward));
      expect(await collect(store.forTenant('another').readStream(s.streamId))).toEqual([]);
    } finally {
      await store.close();
      await drop();
    }
  });

  it('merges the branches of a feed filtered by several types in position order where positions gain a digit', async () => {
    const { url, drop } = await freshMysqlDatabase();
    const store = await MysqlEventStore.open({ url, registry: conformanceRegistry });
    try {
      const admin = await createConnection(url);
      await admin.query('update eventsmith_positions set value = 7 where id = 1');
      await admin.end();
      const s = newStream();
      const events = [1, 2, 3, 4, 5].map((n) =>
        n % 2 ? new ConformanceNoted({ text: `${n}`, n }) : new ConformanceTree({ value: n }),
      );
      await store.appendToStream(s.streamId, events, { expectedVersion: 'no_stream' });
      const filtered = await collect(store.readAll({ eventTypes: ['ConformanceNoted', 'ConformanceTree'] }));
      expect(filtered.map((r) => [r.position.value, r.streamVersion])).toEqual([
        [8n, 1],
        [9n, 2],
        [10n, 3],
        [11n, 4],
        [12n, 5],
      ]);
    } finally {
      await store.close();
      await drop();
    }
  });

  it('gives each event its own times: events of one append share stored_at, later appends have their own', async () => {
    const { url, drop } = await freshMysqlDatabase();
    const store = await MysqlEventStore.open({ url, registry: conformanceRegistry, pageSize: 3 });
    const admin = await createConnection({ uri: url, dateStrings: true });
    try {
      const a = newStream();
      const b = newStream();
      const at = (ms: number) => ({ occurredAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, ms)) });
      await store.appendToStream(a.streamId, [...noted(a, 2, at(1)), ...noted(a, 2, at(2), 3)], {
        expectedVersion: 'no_stream',
      });
      for (let i = 1; i <= 4; i++) {
        await new Promise((resolve) => setTimeout(resolve, 3));
        await store.appendToStream(b.streamId, noted(b, 1, at(i % 2), i), { expectedVersion: i - 1 });
      }
      const [rows] = await admin.query<any[]>(
        'select stream_id, version, occurred_at, stored_at from eventsmith_events order by position',
      );
      const iso = (text: string) => `${text.replace(' ', 'T')}Z`;
      const columns = rows.map((r) => [r.stream_id, r.version, iso(r.occurred_at), iso(r.stored_at)]);
      expect(new Set(columns.map((c) => c[3])).size).toBeGreaterThan(1);
      const read = (events: StoredEvent[]) =>
        events.map((r) => [r.streamId, r.streamVersion, r.event.occurredAt.toISOString(), r.storedAt.toISOString()]);
      expect(read(await collect(store.readAll()))).toEqual(columns);
      const streams = [
        ...(await collect(store.readStream(a.streamId))),
        ...(await collect(store.readStream(b.streamId))),
      ];
      expect(read(streams)).toEqual(columns);
    } finally {
      await admin.end();
      await store.close();
      await drop();
    }
  });

  it('reads rows written around the store with U+0000 in their text (the packed text does not split: the page is read as JSON)', async () => {
    const { url, drop } = await freshMysqlDatabase();
    const store = await MysqlEventStore.open({ url, registry: conformanceRegistry, pageSize: 2 });
    const admin = await createConnection(url);
    try {
      // Positions past 2^53, which a JSON number would not keep exactly.
      await admin.query('update eventsmith_positions set value = ? where id = 1', ['9007199254740993']);
      const s = newStream();
      await store.appendToStream(s.streamId, noted(s, 3, { actorId: 'actor', correlationId: 'corr' }), {
        expectedVersion: 'no_stream',
      });
      await admin.query(
        "update eventsmith_events set actor_id = concat('a', char(0), 'b'), correlation_id = concat(char(0), 'c'), tenant_id = char(0) where version = 2",
      );
      const read = (events: StoredEvent[]) =>
        events.map((r) => [
          r.streamVersion,
          r.event.actorId,
          r.event.correlationId,
          r.event.tenantId,
          r.position.value,
        ]);
      const expected = [
        [1, 'actor', 'corr', undefined, 9007199254740994n],
        [2, 'a\u0000b', '\u0000c', '\u0000', 9007199254740995n],
        [3, 'actor', 'corr', undefined, 9007199254740996n],
      ];
      expect(read(await collect(store.readStream(s.streamId)))).toEqual(expected);
      expect(read(await collect(store.readStream(s.streamId, { direction: 'backward' })))).toEqual(
        [...expected].reverse(),
      );
      expect(read(await collect(store.readAll()))).toEqual(expected);
    } finally {
      await admin.end();
      await store.close();
      await drop();
    }
  });

  it('reads the feed page after page while appends commit beside it: every event once, in order, none skipped (the next page is read ahead)', async () => {
    const { url, drop } = await freshMysqlDatabase();
    const store = await MysqlEventStore.open({ url, registry: conformanceRegistry, pageSize: 2 });
    try {
      await checkReadAheadFeedSeesEveryEventOnce(store);
    } finally {
      await store.close();
      await drop();
    }
  });

  it('ends its pool on close() when it only read, opened without migrating (no connection is left open)', async () => {
    const { url, drop } = await freshMysqlDatabase();
    const admin = await createConnection(url);
    try {
      const writer = await MysqlEventStore.open({ url, registry: conformanceRegistry });
      const s = newStream();
      await writer.appendToStream(s.streamId, noted(s, 2), { expectedVersion: 'no_stream' });
      await writer.close();
      const reader = await MysqlEventStore.open({ url, registry: conformanceRegistry, migrate: false });
      expect(await collect(reader.readStream(s.streamId))).toHaveLength(2);
      expect(await collect(reader.readAll())).toHaveLength(2);
      await reader.close();
      const open = async () => {
        const [rows] = await admin.query<any[]>(
          'select count(*) as n from information_schema.processlist where db = database() and id <> connection_id()',
        );
        return Number(rows[0].n);
      };
      for (let i = 0; i < 100 && (await open()) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await open()).toBe(0);
    } finally {
      await admin.end();
      await drop();
    }
  });
});

await describeWithService('mysql', 'MysqlEventStore: rows at the current version', () => {
  currentVersionDecodeSuite(async () => {
    const { url, drop } = await freshMysqlDatabase();
    const store = await MysqlEventStore.open({ url, registry: conformanceRegistry });
    return {
      store,
      teardown: async () => {
        await store.close();
        await drop();
      },
    };
  });
});
