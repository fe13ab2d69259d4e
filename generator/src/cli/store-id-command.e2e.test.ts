import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  defineEvent,
  EventRegistry,
  migrateSubscriptionTables,
  Position,
  SqlCheckpointStore,
  SqlDeadLetterQueue,
  StoreIdMismatchError,
  toEventRecord,
  z,
} from '@eventsmith/runtime';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { collect } from '@eventsmith/runtime/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './test-support/run-cli.js';

class Opened extends defineEvent({ type: 'Opened', schema: z.object({ label: z.string() }) }) {}
const registry = EventRegistry.create({ events: [Opened] });

/** Two events, the "summary" checkpoint at the first, and a dead letter of the first; returns the first's position. */
async function seed(filename: string): Promise<Position> {
  const store = await SqliteEventStore.open({ filename, registry });
  try {
    await migrateSubscriptionTables(store.db);
    for (const id of ['1', '2'])
      await store.appendToStream(`Counter-${id}`, [new Opened({ label: id })], { expectedVersion: 'no_stream' });
    const [first] = await collect(store.readAll({ limit: 1 }));
    await new SqlCheckpointStore(store.db).save('summary', first!.position);
    await new SqlDeadLetterQueue(store.db).add({
      subscription: 'summary',
      eventId: first!.event.eventId,
      eventType: 'Opened',
      streamId: first!.streamId,
      position: first!.position,
      storedAt: first!.storedAt,
      record: toEventRecord(first!.event),
      error: 'Error: failed',
      attempts: 1,
    });
    return first!.position;
  } finally {
    await store.close();
  }
}

describe('eventsmith store-id on SQLite', () => {
  let dir: string;
  let file: string;
  let db: string;
  let first: Position;
  // No config in dir: the command needs only the database.
  const run = (...argv: string[]) => runCli(dir, ...argv);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'es-storeid-cli-'));
    file = join(dir, 'shop.db');
    db = `sqlite:${file}`;
    first = await seed(file);
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it("prints the id the database keeps, that it is the name's, and which ids its records carry", async () => {
    const text = await run('store-id', '--db', db);
    expect(text.status).toBe(0);
    expect(text.out.split('\n')[0]).toBe('sqlite:shop.db');
    expect(text.out).toContain("it is the id the database's name gives");
    expect(text.out).toContain('1 checkpoint carries it');
    expect(text.out).toContain('1 dead letter carries it');
    const json = await run('store-id', '--db', db, '--format', 'json');
    expect(JSON.parse(json.out)).toEqual({
      storeId: 'sqlite:shop.db',
      derivedStoreId: 'sqlite:shop.db',
      fromName: true,
      positions: [
        { table: 'checkpoints', storeId: 'sqlite:shop.db', count: 1 },
        { table: 'deadLetters', storeId: 'sqlite:shop.db', count: 1 },
      ],
    });
  });

  it('set refuses to orphan the checkpoints and dead letters; --rewrite-positions renames the store with them, and the subscription resumes', async () => {
    const refused = await run('store-id', 'set', 'shop-events', '--db', db);
    expect(refused.status).toBe(1);
    expect(refused.err).toContain('[STORE.ID_CHANGE_REFUSED]');
    expect(refused.err).toContain('1 checkpoint and 1 dead letter carry it');
    expect(refused.err).toContain(
      'fix: To rename the store with its records, run `eventsmith store-id set shop-events --db <url> --rewrite-positions`.',
    );
    expect((await run('store-id', '--db', db)).out.split('\n')[0]).toBe('sqlite:shop.db');

    const same = await run('store-id', 'set', 'sqlite:shop.db', '--db', db);
    expect(same.status).toBe(0);
    expect(same.out).toContain('The database already keeps the store id "sqlite:shop.db"; nothing changed.');

    const renamed = await run('store-id', 'set', 'shop-events', '--db', db, '--rewrite-positions', '--format', 'json');
    expect(renamed.status).toBe(0);
    expect(JSON.parse(renamed.out)).toEqual({
      previousStoreId: 'sqlite:shop.db',
      storeId: 'shop-events',
      changed: true,
      rewritten: { checkpoints: 1, deadLetters: 1 },
      otherIds: [],
    });
    const shown = await run('store-id', '--db', db);
    expect(shown.out.split('\n')[0]).toBe('shop-events');
    expect(shown.out).toContain('not the id the database\'s name gives ("sqlite:shop.db")');

    // The app opens it with the new id, and its subscription reads on after its checkpoint.
    const store = await SqliteEventStore.open({ filename: file, registry, storeId: 'shop-events' });
    try {
      const after = await new SqlCheckpointStore(store.db).load('summary');
      expect(after?.toString()).toBe(`shop-events@${first.value}`);
      expect((await collect(store.readAll({ after }))).map((e) => e.streamId)).toEqual(['Counter-2']);
      expect((await new SqlDeadLetterQueue(store.db).list())[0]?.position.toString()).toBe(
        `shop-events@${first.value}`,
      );
    } finally {
      await store.close();
    }
    // The old id is refused now, and the error names the command that changes the kept id.
    const mismatch = await SqliteEventStore.open({ filename: file, registry, storeId: 'sqlite:shop.db' }).catch(
      (e: unknown) => e,
    );
    expect(mismatch).toBeInstanceOf(StoreIdMismatchError);
    expect((mismatch as Error).message).toContain('`eventsmith store-id set sqlite:shop.db --db <url>`');
  });

  it('refuses an id no store can use (exit 2) and a database not migrated (exit 1, run eventsmith migrate)', async () => {
    for (const bad of ['', ' shop', 'x'.repeat(161)]) {
      const result = await run('store-id', 'set', bad, '--db', db);
      expect(result.status).toBe(2);
      expect(result.err).toContain('[STORE.ID_INVALID]');
    }
    const empty = join(dir, 'empty.db');
    await writeFile(empty, '');
    for (const argv of [['store-id'], ['store-id', 'set', 'shop-events']]) {
      const result = await run(...argv, '--db', `sqlite:${empty}`, '--format', 'json');
      expect(result.status).toBe(1);
      const [error] = JSON.parse(result.out).errors;
      expect(error.code).toBe('OPS.CONNECT');
      expect(error.fix).toContain('Run `eventsmith migrate --db <url>`');
    }
    const missing = await run('store-id', '--db', `sqlite:${join(dir, 'missing.db')}`);
    expect(missing.status).toBe(1);
    expect(missing.err).toContain('[OPS.NO_DATABASE]');
  });

  it('usage errors exit 2 before the database is opened', async () => {
    for (const [argv, code] of [
      [['store-id', 'frob', '--db', db], 'CLI.UNKNOWN_COMMAND'],
      [['store-id', 'set', '--db', db], 'CLI.MISSING_ARGUMENT'],
      [['store-id', 'set', 'a', 'b', '--db', db], 'CLI.UNEXPECTED_ARGUMENT'],
      [['store-id', '--db', db, '--rewrite-positions'], 'CLI.NOT_APPLICABLE'],
      [['store-id', '--db', db, '--tenant', 'acme'], 'CLI.UNKNOWN_FLAG'],
      [['store-id', 'set', 'a', '--db', 'nosuch://x'], 'DB.URL'],
    ] as const) {
      const result = await run(...argv);
      expect(result.status, argv.join(' ')).toBe(2);
      expect(result.err).toContain(`[${code}]`);
    }
    const help = await run('store-id', '--help');
    expect(help.status).toBe(0);
    expect(help.out).toContain('--rewrite-positions');
  });
});
