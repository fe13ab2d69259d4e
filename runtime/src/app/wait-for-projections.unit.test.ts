import { describe } from 'vitest';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { SqliteEventStore } from '../store/sqlite/sqlite-event-store.js';
import { deadLetterWaitSuite } from './test-support/dead-letter-wait.js';
import { registry } from './test-support/shop-app.js';

describe('waitForProjections and dead letters, memory store with the read model in in-memory SQLite', () => {
  deadLetterWaitSuite({
    async open() {
      const sqlite = await SqliteEventStore.open({ filename: ':memory:', registry });
      return { store: new InMemoryEventStore({ registry }), database: sqlite.db, close: () => sqlite.close() };
    },
  });
});

describe('waitForProjections and dead letters, SQLite store', () => {
  deadLetterWaitSuite({
    async open() {
      const store = await SqliteEventStore.open({ filename: ':memory:', registry });
      return { store, close: () => store.close() };
    },
  });
});
