import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { conformanceRegistry } from '../../testing/conformance.js';
import { currentVersionDecodeSuite } from '../../testing/current-version-decode-suite.js';
import { PostgresEventStore } from './postgres-event-store.js';

await describeWithService('postgres', 'PostgresEventStore: rows at the current version', () => {
  currentVersionDecodeSuite(async () => {
    const { url, drop } = await freshPostgresDatabase();
    const store = await PostgresEventStore.open({ url, registry: conformanceRegistry, pageSize: 2 });
    return {
      store,
      teardown: async () => {
        await store.close();
        await drop();
      },
    };
  });
});
