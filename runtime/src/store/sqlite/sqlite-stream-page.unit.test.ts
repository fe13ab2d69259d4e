import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { counterRegistry } from '../../test-support/counter-aggregate.js';
import { streamPageSuite } from '../../test-support/stream-page-suite.js';
import { SqliteEventStore } from './sqlite-event-store.js';

streamPageSuite('SqliteEventStore', async (pageSize) => {
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-sqlite-stream-page-'));
  const filename = join(dir, 'events.db');
  const store = await SqliteEventStore.open({ filename, registry: counterRegistry, pageSize });
  return {
    store,
    other: (registry) => SqliteEventStore.open({ filename, registry }),
    teardown: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
