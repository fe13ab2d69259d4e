// `eventsmith store-id [set <id>]`: the store id a database keeps, read and changed through the
// runtime's inspectStoreId and setStoreId. Needs no project code: only the database at --db.
import { stat } from 'node:fs/promises';
import { EventRegistry, type EventStore, type Kysely } from '@eventsmith/runtime';
import type { SetStoreIdOptions, SetStoreIdResult, StoreIdReport } from '@eventsmith/runtime/sqlite';
import { parseDatabaseUrl, redact, type DatabaseTarget } from './database-url.js';
import { driverNotInstalled, OpsFailure } from './ops-failure.js';
import { openFailureFix, storeOpenFailure } from './store-inspector.js';

export type { SetStoreIdResult, StoreIdReport };

/** What the command needs of the dialect's entry point of the runtime. */
interface DialectRuntime {
  open(): Promise<EventStore & { readonly db: Kysely<any> }>;
  inspectStoreId(db: Kysely<any>, options: { target?: string }): Promise<StoreIdReport>;
  setStoreId(db: Kysely<any>, storeId: string, options: SetStoreIdOptions): Promise<SetStoreIdResult>;
  storeIdProblem(storeId: string): string | undefined;
}

/** The id the database at `url` keeps, the id its name gives, and the ids its positions carry. */
export async function showStoreId(url: string, cwd: string): Promise<StoreIdReport> {
  const target = parseDatabaseUrl(url, cwd);
  const runtime = await dialectRuntime(target);
  return withStore(target, runtime, (db) => runtime.inspectStoreId(db, { target: where(target) }));
}

/**
 * Makes the database at `url` keep `storeId` (see the runtime's setStoreId). An id no store can
 * use is a usage error, found before the database is opened.
 */
export async function changeStoreId(
  url: string,
  cwd: string,
  storeId: string,
  options: { readonly rewritePositions: boolean },
): Promise<SetStoreIdResult> {
  const target = parseDatabaseUrl(url, cwd);
  const runtime = await dialectRuntime(target);
  const problem = runtime.storeIdProblem(storeId);
  if (problem !== undefined)
    throw new OpsFailure(
      [
        {
          code: 'STORE.ID_INVALID',
          message: `Cannot set the store id: ${problem}.`,
          fix: 'Pass 1 to 160 characters without spaces at either end, e.g. `eventsmith store-id set shop-events --db <url>`.',
        },
      ],
      true,
    );
  return withStore(target, runtime, (db) =>
    runtime.setStoreId(db, storeId, { rewritePositions: options.rewritePositions, target: where(target) }),
  );
}

/** The database for messages: the file, or the URL with its password redacted. */
export function where(target: DatabaseTarget): string {
  return target.dialect === 'sqlite' ? target.filename : redact(target.url);
}

async function dialectRuntime(target: DatabaseTarget): Promise<DialectRuntime> {
  // Events are not read: an empty registry opens the store.
  const registry = EventRegistry.create({ events: [] });
  try {
    // One import per entry (not a template), so bundlers and vite see which modules this can load.
    if (target.dialect === 'sqlite') {
      const runtime = await import('@eventsmith/runtime/sqlite');
      return {
        ...runtime,
        open: () => runtime.SqliteEventStore.open({ filename: target.filename, registry, migrate: false }),
      };
    }
    if (target.dialect === 'postgres') {
      const runtime = await import('@eventsmith/runtime/postgres');
      return {
        ...runtime,
        open: () => runtime.PostgresEventStore.open({ url: target.url, registry, migrate: false }),
      };
    }
    const runtime = await import('@eventsmith/runtime/mysql');
    return {
      ...runtime,
      open: () => runtime.MysqlEventStore.open({ url: target.url, registry, migrate: false }),
    };
  } catch (error) {
    const driver = driverNotInstalled(error);
    if (driver) throw new OpsFailure([driver]);
    throw error;
  }
}

/**
 * Opens the store without migrating it (a database not migrated to 0005 is refused with the
 * `eventsmith migrate` fix), runs `fn` on its database, and closes it. Typed failures become
 * {@link OpsFailure}s with a fix.
 */
async function withStore<T>(
  target: DatabaseTarget,
  runtime: DialectRuntime,
  fn: (db: Kysely<any>) => Promise<T>,
): Promise<T> {
  if (target.dialect === 'sqlite' && !(await stat(target.filename).catch(() => undefined))?.isFile())
    throw new OpsFailure([
      {
        code: 'OPS.NO_DATABASE',
        message: `There is no SQLite database at ${target.filename}.`,
        fix: 'Check the path, or run `eventsmith migrate --db <url>` to create the store.',
      },
    ]);
  let store: EventStore & { readonly db: Kysely<any> };
  try {
    store = await runtime.open();
  } catch (error) {
    throw storeOpenFailure(error, target);
  }
  try {
    return await fn(store.db);
  } catch (error) {
    throw failureOf(error);
  } finally {
    await store.close();
  }
}

/** The runtime's typed errors as an {@link OpsFailure} with the fix an operator runs; anything else as it is. */
function failureOf(error: unknown): unknown {
  const { code, message, reason, storedStoreId, newStoreId } = (error ?? {}) as {
    code?: unknown;
    message?: unknown;
    reason?: unknown;
    storedStoreId?: unknown;
    newStoreId?: unknown;
  };
  if (typeof code !== 'string' || typeof message !== 'string') return error;
  const fix =
    code === 'STORE.ID_CHANGE_REFUSED'
      ? reason === 'leases'
        ? 'Stop the apps that run subscriptions on this database (and any `projections rebuild`), then run it again once their leases expired (at most 15 s).'
        : `To rename the store with its records, run \`eventsmith store-id set ${shellWord(String(newStoreId))} --db <url> --rewrite-positions\`. ` +
          `If an app's storeId option named "${String(newStoreId)}", open the store without the option (or with storeId: "${String(storedStoreId)}") instead: its records carry "${String(storedStoreId)}".`
      : code === 'STORE.UNAVAILABLE' || code === 'STORE.BUSY'
        ? openFailureFix(error)
        : undefined;
  if (fix === undefined) return error;
  return new OpsFailure([{ code, message: redact(message), fix }]);
}

/** Text as one word of a shell command line (single-quoted unless it needs no quoting). */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
