import { describeWithService, freshMysqlDatabase, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { MysqlEventStore } from '../store/mysql/mysql-event-store.js';
import { PostgresEventStore } from '../store/postgres/postgres-event-store.js';
import { deadLetterWaitSuite } from './test-support/dead-letter-wait.js';
import { registry } from './test-support/shop-app.js';

await describeWithService('postgres', 'waitForProjections and dead letters on PostgreSQL', () => {
  deadLetterWaitSuite({
    async open() {
      const { url, drop } = await freshPostgresDatabase();
      const store = await PostgresEventStore.open({ url, registry });
      return {
        store,
        close: async () => {
          await store.close();
          await drop();
        },
      };
    },
  });
});

await describeWithService('mysql', 'waitForProjections and dead letters on MariaDB', () => {
  deadLetterWaitSuite({
    async open() {
      const { url, drop } = await freshMysqlDatabase();
      const store = await MysqlEventStore.open({ url, registry });
      return {
        store,
        close: async () => {
          await store.close();
          await drop();
        },
      };
    },
  });
});
