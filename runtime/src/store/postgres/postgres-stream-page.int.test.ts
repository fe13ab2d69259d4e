import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { counterRegistry } from '../../test-support/counter-aggregate.js';
import { streamPageSuite } from '../../test-support/stream-page-suite.js';
import { PostgresEventStore } from './postgres-event-store.js';

await describeWithService('postgres', 'PostgresEventStore stream pages', () => {
  streamPageSuite('PostgresEventStore', async (pageSize) => {
    const { url, drop } = await freshPostgresDatabase();
    const store = await PostgresEventStore.open({ url, registry: counterRegistry, pageSize });
    return {
      store,
      other: (registry) => PostgresEventStore.open({ url, registry }),
      teardown: async () => {
        await store.close();
        await drop();
      },
    };
  });
});
