import { InMemorySnapshotStore } from '../../snapshots/memory/in-memory-snapshot-store.js';
import { conformanceRegistry } from '../../testing/conformance-events.js';
import { tenantIsolationSuite } from '../../testing/tenant-isolation-suite.js';
import { InMemoryEventStore } from './in-memory-event-store.js';

tenantIsolationSuite('InMemoryEventStore + InMemorySnapshotStore', async () => ({
  store: new InMemoryEventStore({ registry: conformanceRegistry }),
  snapshots: new InMemorySnapshotStore(),
}));
