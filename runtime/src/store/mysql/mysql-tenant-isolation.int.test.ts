import { describeWithService, freshMysqlDatabase } from '../../../../test/support/services.js';
import { conformanceRegistry } from '../../testing/conformance-events.js';
import { tenantIsolationSuite } from '../../testing/tenant-isolation-suite.js';
import { MysqlEventStore } from './mysql-event-store.js';
import { MysqlSnapshotStore } from './mysql-snapshot-store.js';

await describeWithService('mysql', 'MariaDB tenant isolation', () => {
  tenantIsolationSuite('MysqlEventStore + MysqlSnapshotStore', async () => {
    const { url, drop } = await freshMysqlDatabase();
    const store = await MysqlEventStore.open({ url, registry: conformanceRegistry });
    return {
      store,
      snapshots: new MysqlSnapshotStore(store.db),
      teardown: async () => {
        await store.close();
        await drop();
      },
    };
  });
});
