import { afterEach, describe, expect, it, vi } from 'vitest';
import { collect, conformanceRegistry } from '../../testing/conformance.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { readFeedPage } from '../feed-page.js';
import { readStreamPage } from '../stream-page.js';
import { BetterSqlite3 } from './sqlite-driver.js';
import { SqliteEventStore } from './sqlite-event-store.js';

// SQLite plans a LIMIT that is a bare parameter for the value bound when it prepared the
// statement, and re-prepares the statement each time that parameter is bound again: a read
// statement cached and run again and again must not give its LIMIT that way.
describe('SqliteEventStore read statements', () => {
  afterEach(() => vi.restoreAllMocks());

  it('take no bare parameter as LIMIT (SQLite would re-prepare them on every read)', async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry, pageSize: 2 });
    try {
      const a = newStream();
      const [first] = noted(a, 3);
      const appended = await store.appendToStream(a.streamId, [first!, ...noted(a, 2, {}, 2)], {
        expectedVersion: 'no_stream',
      });
      const prepared: string[] = [];
      const prepare = BetterSqlite3.prototype.prepare;
      vi.spyOn(BetterSqlite3.prototype, 'prepare').mockImplementation(function (
        this: InstanceType<typeof BetterSqlite3>,
        source,
      ) {
        prepared.push(source);
        return prepare.call(this, source);
      });
      const tenant = store.forTenant('t1');
      await collect(store.readStream(a.streamId));
      await collect(store.readStream(a.streamId, { direction: 'backward', limit: 2 }));
      await collect(tenant.readStream(a.streamId));
      store[readStreamPage](a.streamId, 1);
      await collect(store.readAll());
      await collect(store.readAll({ eventTypes: ['ConformanceNoted'], limit: 1 }));
      await collect(tenant.readAll());
      store[readFeedPage]({ after: appended.position, limit: 2 });
      const reads = prepared.filter((source) => /\blimit\b/i.test(source));
      expect(reads.length).toBeGreaterThanOrEqual(4);
      expect(reads.filter((source) => /\blimit\s+[?@:$]/i.test(source))).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
