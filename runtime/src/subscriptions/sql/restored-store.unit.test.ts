import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PositionForeignError } from '../../errors.js';
import { SqliteEventStore } from '../../store/sqlite/sqlite-event-store.js';
import { CounterOpened, counterRegistry } from '../../test-support/counter-aggregate.js';
import { collect } from '../../testing/collect.js';
import { SqlCheckpointStore } from './sql-checkpoint-store.js';
import { migrateSubscriptionTables } from './subscription-tables.js';

describe('a store database copied to another file name', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('says which storeId its checkpoints carry, and opened with that id it reads on from them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'es-restored-'));
    dirs.push(dir);
    const original = await SqliteEventStore.open({ filename: join(dir, 'live.db'), registry: counterRegistry });
    await migrateSubscriptionTables(original.db);
    const first = await original.appendToStream('Counter-1', [new CounterOpened({ label: 'a' })], {
      expectedVersion: 'no_stream',
    });
    await original.appendToStream('Counter-2', [new CounterOpened({ label: 'b' })], { expectedVersion: 'no_stream' });
    await new SqlCheckpointStore(original.db).save('summary', first.position);
    await original.close();
    copyFileSync(join(dir, 'live.db'), join(dir, 'restored.db'));

    const restored = await SqliteEventStore.open({ filename: join(dir, 'restored.db'), registry: counterRegistry });
    const checkpoint = await new SqlCheckpointStore(restored.db).load('summary');
    const refused = await collect(restored.readAll({ after: checkpoint })).catch((error: unknown) => error);
    await restored.close();
    expect(refused).toBeInstanceOf(PositionForeignError);
    expect((refused as Error).message).toContain(
      'If this is the database that store wrote, under another file or database name (copied, renamed or restored; the id comes from that name), open the store with storeId: "sqlite:live.db"',
    );

    const reopened = await SqliteEventStore.open({
      filename: join(dir, 'restored.db'),
      registry: counterRegistry,
      storeId: 'sqlite:live.db',
    });
    try {
      const after = await new SqlCheckpointStore(reopened.db).load('summary');
      expect((await collect(reopened.readAll({ after }))).map((e) => e.streamId)).toEqual(['Counter-2']);
    } finally {
      await reopened.close();
    }
  });
});
