import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import { EventStoreUnavailableError } from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import { EVENT_STORE_MIGRATION_TABLE } from '../store/sql/event-store-tables.js';
import { eventStoreMigrations } from '../store/sql/event-store-migrations.js';
import { runMigrations } from '../store/sql/run-migrations.js';

/**
 * A server store opened with `migrate: false` on the empty database at `url`: refused at open with
 * reason 'not-migrated' (no tables), then again once only the first two migrations are applied
 * (`behind` matches the missing ones), then opened once migrated.
 */
export async function expectNotMigratedRefused(options: {
  readonly url: string;
  readonly dialect: 'postgres' | 'mysql';
  readonly open: (migrate: boolean) => Promise<EventStore>;
  readonly database: () => Kysely<any>;
  readonly behind: RegExp;
}): Promise<void> {
  const { url, dialect, open, database, behind } = options;
  const never = await open(false).catch((e: unknown) => e);
  expect(never).toBeInstanceOf(EventStoreUnavailableError);
  expect(never).toMatchObject({ reason: 'not-migrated', retryable: false, code: 'STORE.UNAVAILABLE' });
  expect((never as Error).message).toContain(new URL(url).pathname.slice(1));
  expect((never as Error).message).toMatch(/no event store tables/);
  expect((never as Error).message).toMatch(/Run `eventsmith migrate --db <url>`.*or open the store with migrate: true/);

  // A database migrated by an older eventsmith: the first two event store migrations.
  const older = database();
  const firstTwo = Object.fromEntries(Object.entries(eventStoreMigrations(dialect)).slice(0, 2));
  await runMigrations(older, firstTwo, EVENT_STORE_MIGRATION_TABLE);
  await older.destroy();
  const late = await open(false).catch((e: unknown) => e);
  expect(late).toMatchObject({ reason: 'not-migrated' });
  expect((late as Error).message).toMatch(behind);
  expect((late as Error).message).toMatch(/eventsmith migrate --db/);

  await (await open(true)).close();
  await (await open(false)).close();
}
