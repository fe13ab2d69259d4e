import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conformanceRegistry } from '../../testing/conformance-events.js';
import { tenantIsolationSuite } from '../../testing/tenant-isolation-suite.js';
import { SqliteEventStore } from './sqlite-event-store.js';
import { SqliteSnapshotStore } from './sqlite-snapshot-store.js';

tenantIsolationSuite('SqliteEventStore + SqliteSnapshotStore', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-tenants-'));
  const store = await SqliteEventStore.open({ filename: join(dir, 'events.db'), registry: conformanceRegistry });
  return {
    store,
    snapshots: new SqliteSnapshotStore(store.db),
    teardown: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
