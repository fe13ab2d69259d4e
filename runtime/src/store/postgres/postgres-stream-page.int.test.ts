import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { counterRegistry } from '../../test-support/counter-aggregate.js';
import { streamPageSuite } from '../../test-support/stream-page-suite.js';
import { PostgresEventStore } from './postgres-event-store.js';

await describeWithService('postgres', 'PostgresEventStore stream pages', () => {
  // With row-level security a tenant view reads through Kysely (timestamps as Dates), not as named statements.
  for (const rowLevelSecurity of [false, true]) {
    streamPageSuite(`PostgresEventStore${rowLevelSecurity ? ' (row-level security)' : ''}`, async (pageSize) => {
      const { url, drop } = await freshPostgresDatabase();
      const store = await PostgresEventStore.open({ url, registry: counterRegistry, pageSize, rowLevelSecurity });
      return {
        store,
        other: (registry) => PostgresEventStore.open({ url, registry, rowLevelSecurity }),
        teardown: async () => {
          await store.close();
          await drop();
        },
      };
    });
  }
});
