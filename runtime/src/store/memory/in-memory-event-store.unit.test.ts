import { InMemorySnapshotStore } from '../../snapshots/memory/in-memory-snapshot-store.js';
import { conformanceRegistry, snapshotStoreConformanceSuite, storeConformanceSuite } from '../../testing/index.js';
import { InMemoryEventStore } from './in-memory-event-store.js';

storeConformanceSuite('InMemoryEventStore', async () => ({ store: new InMemoryEventStore({ registry: conformanceRegistry }) }));

snapshotStoreConformanceSuite('InMemorySnapshotStore', async () => ({ store: new InMemorySnapshotStore() }));
