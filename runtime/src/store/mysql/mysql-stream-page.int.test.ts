import { describeWithService, freshMysqlDatabase } from '@eventsmith/test/support/services';
import { counterRegistry } from '../../test-support/counter-aggregate.js';
import { streamPageSuite } from '../../test-support/stream-page-suite.js';
import { MysqlEventStore } from './mysql-event-store.js';

await describeWithService('mysql', 'MysqlEventStore stream pages', () => {
  streamPageSuite('MysqlEventStore', async (pageSize) => {
    const { url, drop } = await freshMysqlDatabase();
    const store = await MysqlEventStore.open({ url, registry: counterRegistry, pageSize });
    return {
      store,
      other: (registry) => MysqlEventStore.open({ url, registry }),
      teardown: async () => {
        await store.close();
        await drop();
      },
    };
  });
});
