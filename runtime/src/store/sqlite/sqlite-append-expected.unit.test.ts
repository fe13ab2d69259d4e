import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConcurrencyError, DuplicateEventError } from '../../errors.js';
import { collect, conformanceRegistry } from '../../testing/conformance.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import type { ExpectedVersion } from '../expected-version.js';
import type { AppendResult } from '../event-store.js';
import type { DomainEvent } from '../../events/domain-event.js';
import { SqliteEventStore } from './sqlite-event-store.js';

type Stream = ReturnType<typeof newStream>;
type Append = (
  store: SqliteEventStore,
  s: Stream,
  events: readonly DomainEvent[],
  expected: ExpectedVersion,
) => Promise<AppendResult>;

// The three ways an append reaches the writer: alone, as a member of a group-commit batch (the
// second of appends made in one turn), and inside transaction().
const paths: Record<string, Append> = {
  alone: (store, s, events, expectedVersion) => store.appendToStream(s.streamId, events, { expectedVersion }),
  batched: async (store, s, events, expectedVersion) => {
    const [first] = noted(newStream(), 1);
    const other = newStream();
    const [, result] = await Promise.allSettled([
      store.appendToStream(other.streamId, [first!.with({ aggregateId: other.aggregateId })], {
        expectedVersion: 'no_stream',
      }),
      store.appendToStream(s.streamId, events, { expectedVersion }),
    ]);
    expect(await store.getStreamVersion(other.streamId)).toBe(1); // its neighbour committed
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  },
  inTransaction: (store, s, events, expectedVersion) =>
    store.transaction((tx) => tx.appendToStream(s.streamId, events, { expectedVersion })),
};

describe('SqliteEventStore expected versions on every path to the writer', () => {
  for (const [path, append] of Object.entries(paths)) {
    it(`${path}: exact versions, behind and ahead, 'no_stream' and 0 check the stream's row and leave it as it was when they fail`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'eventsmith-sqlite-expected-'));
      const store = await SqliteEventStore.open({ filename: join(dir, 'events.db'), registry: conformanceRegistry });
      try {
        const s = newStream();
        expect((await append(store, s, noted(s, 2), 'no_stream')).nextVersion).toBe(2);
        for (const expected of [1, 3, 5, 0, 'no_stream'] as const) {
          const error = await append(store, s, noted(s, 1, {}, 3), expected).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(ConcurrencyError);
          expect(error).toMatchObject({ streamId: s.streamId, expected, actual: 2 });
          expect(await store.getStreamVersion(s.streamId)).toBe(2);
        }
        expect((await append(store, s, noted(s, 2, {}, 3), 2)).nextVersion).toBe(4);
        expect((await collect(store.readStream(s.streamId))).map((e) => e.streamVersion)).toEqual([1, 2, 3, 4]);

        // A duplicate event id fails the append after the row has moved: the row moves back.
        const [stored] = await collect(store.readStream(s.streamId));
        const duplicate = stored!.event;
        const [fresh] = noted(s, 1, {}, 5);
        await expect(append(store, s, [fresh!, duplicate], 4)).rejects.toBeInstanceOf(DuplicateEventError);
        expect(await store.getStreamVersion(s.streamId)).toBe(4);
        expect((await append(store, s, [fresh!], 4)).nextVersion).toBe(5);
        const t = newStream();
        const [other] = noted(t, 1);
        await expect(
          append(store, t, [other!, duplicate.with({ aggregateId: t.aggregateId })], 'no_stream'),
        ).rejects.toBeInstanceOf(DuplicateEventError);
        expect(await store.getStreamVersion(t.streamId)).toBe(0);
        expect((await append(store, t, [other!], 0)).nextVersion).toBe(1);

        // The row keeps the stream's tenant while all its events share one, and loses it after.
        const u = newStream();
        await append(store, u, noted(u, 2, { tenantId: 't1' }), 'no_stream');
        await append(store, u, noted(u, 1, { tenantId: 't1' }, 3), 2);
        const row = () =>
          store.db
            .selectFrom('eventsmith_streams')
            .select(['version', 'tenant_id'])
            .where('stream_id', '=', u.streamId)
            .executeTakeFirst();
        expect(await row()).toEqual({ version: 3, tenant_id: 't1' });
        await append(store, u, noted(u, 1, { tenantId: 't2' }, 4), 3);
        expect(await row()).toEqual({ version: 4, tenant_id: null });
        await append(store, u, noted(u, 1, {}, 5), 4);
        expect(await row()).toEqual({ version: 5, tenant_id: null });
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
