// Appends made inside store.transaction() (as the repository's saves with an outbox are) are traced
// and timed like any other append, on every SQL store, as on the memory store.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWithService, freshMysqlDatabase, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { ConcurrencyError } from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import { MysqlEventStore } from '../store/mysql/mysql-event-store.js';
import { PostgresEventStore } from '../store/postgres/postgres-event-store.js';
import { SqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import { CounterOpened, counterRegistry } from '../test-support/counter-aggregate.js';
import { recordSpans } from '../test-support/recorded-spans.js';
import { SpanAttributes } from './tracing.js';

const { spans, reset } = recordSpans();
const appends = () => spans('eventsmith.store.append');

function suite(open: () => Promise<{ store: EventStore; close(): Promise<void> }>) {
  it('traces an append inside store.transaction() with its stream, event count and store, and a failed one as an error', async () => {
    const { store, close } = await open();
    try {
      await store.transaction(async (tx) => {
        await tx.appendToStream('Counter-t1', [new CounterOpened({ label: 'a' })], { expectedVersion: 'no_stream' });
      });
      const [append] = appends();
      expect(append?.attributes).toMatchObject({
        [SpanAttributes.stream]: 'Counter-t1',
        [SpanAttributes.eventCount]: 1,
        [SpanAttributes.store]: store.storeId,
      });
      expect(append!.status.code).not.toBe(2);

      reset();
      const conflict = await store
        .transaction((tx) =>
          tx.appendToStream('Counter-t1', [new CounterOpened({ label: 'b' })], { expectedVersion: 'no_stream' }),
        )
        .catch((error: unknown) => error);
      expect(conflict).toBeInstanceOf(ConcurrencyError);
      const failed = appends();
      expect(failed).toHaveLength(1);
      expect(failed[0]!.status.code).toBe(2); // SpanStatusCode.ERROR
      expect(failed[0]!.events.some((e) => e.name === 'exception')).toBe(true);
    } finally {
      await close();
    }
  });
}

describe('SqliteEventStore: appends in a transaction are traced', () => {
  suite(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'es-trace-'));
    const store = await SqliteEventStore.open({ filename: join(dir, 'events.db'), registry: counterRegistry });
    return {
      store,
      close: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

await describeWithService('postgres', 'PostgresEventStore: appends in a transaction are traced', () => {
  suite(async () => {
    const { url, drop } = await freshPostgresDatabase();
    const store = await PostgresEventStore.open({ url, registry: counterRegistry });
    return {
      store,
      close: async () => {
        await store.close();
        await drop();
      },
    };
  });
});

await describeWithService('mysql', 'MysqlEventStore: appends in a transaction are traced', () => {
  suite(async () => {
    const { url, drop } = await freshMysqlDatabase();
    const store = await MysqlEventStore.open({ url, registry: counterRegistry });
    return {
      store,
      close: async () => {
        await store.close();
        await drop();
      },
    };
  });
});
