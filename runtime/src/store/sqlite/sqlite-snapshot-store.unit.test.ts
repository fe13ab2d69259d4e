import { describe, it } from 'vitest';
import { conformanceRegistry } from '../../testing/conformance-events.js';
import { checkSnapshotsCloseWithTheStore } from '../../testing/snapshot-close-checks.js';
import { SqliteEventStore } from './sqlite-event-store.js';
import { SqliteSnapshotStore } from './sqlite-snapshot-store.js';

describe('SqliteSnapshotStore', () => {
  it('closes with the event store whose db it uses: saves in progress complete, later calls fail with EventStoreClosedError', async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry });
    try {
      await checkSnapshotsCloseWithTheStore(store, new SqliteSnapshotStore(store.db));
    } finally {
      await store.close();
    }
  });
});
