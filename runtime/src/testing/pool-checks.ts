// Shared checks of how the SQL stores use their connections: imported by their tests only.
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import { ConcurrencyError } from '../errors.js';
import { newStream, noted, settleWithin } from './store-conformance-context.js';
import type { AppendResult, EventStore } from '../store/event-store.js';

interface SqlStore extends EventStore {
  readonly db: Kysely<any>;
}

/**
 * Call with a store whose pool holds ONE connection. An append that collides with events written
 * around the streams table (the stream's row says version 1, its events reach 2) fails with a
 * `ConcurrencyError`: on its own, through a tenant view, through `tx.appendToStream` and through
 * the store inside `transaction()`. None of them may wait for a second connection while holding
 * the first, and the store answers afterwards.
 */
export async function checkCollidingAppendsNeedOneConnection(store: SqlStore): Promise<void> {
  const s = newStream();
  await store.appendToStream(s.streamId, noted(s, 2, { tenantId: 't1' }), { expectedVersion: 'no_stream' });
  await store.db.updateTable('eventsmith_streams').set({ version: 1 }).where('stream_id', '=', s.streamId).execute();
  const attempt = (n: number) => noted(s, 1, { tenantId: 't1' }, 10 + n);
  const attempts: Record<string, () => Promise<AppendResult>> = {
    'an append': () => store.appendToStream(s.streamId, attempt(0), { expectedVersion: 1 }),
    "a tenant view's append": () =>
      store.forTenant('t1').appendToStream(s.streamId, attempt(1), { expectedVersion: 1 }),
    'tx.appendToStream': () =>
      store.transaction((tx) => tx.appendToStream(s.streamId, attempt(2), { expectedVersion: 1 })),
    'an append inside transaction()': () =>
      store.transaction(() => store.appendToStream(s.streamId, attempt(3), { expectedVersion: 1 })),
  };
  for (const [what, run] of Object.entries(attempts)) {
    const [result] = await settleWithin(what, [run()]);
    expect(result!.status, what).toBe('rejected');
    expect((result as PromiseRejectedResult).reason, what).toBeInstanceOf(ConcurrencyError);
  }
  expect(await store.getStreamVersion(s.streamId)).toBe(1);
  const other = newStream();
  expect(
    (await store.appendToStream(other.streamId, noted(other, 1), { expectedVersion: 'no_stream' })).nextVersion,
  ).toBe(1);
}
