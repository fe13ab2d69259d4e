// Showing and changing the store id a SQL database keeps (migration 0005, store-identity.ts), for
// `eventsmith store-id [set]`: an operator renames a store, or makes a restored database keep the
// id its checkpoints carry, without writing SQL.
import { basename } from 'node:path';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { EventStoreUnavailableError, InvalidArgumentError, StoreIdChangeRefusedError } from '../../errors.js';
import { detectDialect, type SqlDialectName } from './sql-dialect.js';
import { SqlTable } from './sql-tables.js';

/** How many records of one table carry one store id in their positions. */
export interface StoreIdCount {
  /** `checkpoints` (`eventsmith_checkpoints`) or `deadLetters` (`eventsmith_dead_letters`). */
  readonly table: 'checkpoints' | 'deadLetters';
  readonly storeId: string;
  readonly count: number;
}

/** What {@link inspectStoreId} reads. */
export interface StoreIdReport {
  /** The id the database keeps, which every store that opens it uses. */
  readonly storeId: string;
  /** The id derived from the database's name (`sqlite:<file name>`, `pg:<database>`, `mysql:<database>`). */
  readonly derivedStoreId: string;
  /** The ids the positions of its checkpoints and dead letters carry, sorted by table, then id. */
  readonly positions: readonly StoreIdCount[];
}

export interface SetStoreIdOptions {
  /**
   * Also rewrite the positions of the checkpoints and dead letters that carry the id the database
   * keeps now, to carry the new one (a rename). Without it, `setStoreId` refuses when there are
   * any. Positions of other ids (another store's) are left as they are.
   */
  readonly rewritePositions?: boolean;
  /** Names the database in errors (password redacted). Default: "the database". */
  readonly target?: string;
}

/** What {@link setStoreId} did. */
export interface SetStoreIdResult {
  readonly previousStoreId: string;
  readonly storeId: string;
  /** False when the database already kept `storeId`: nothing was written. */
  readonly changed: boolean;
  /** The checkpoints and dead letters whose positions now carry the new id instead of the previous one. */
  readonly rewritten: { readonly checkpoints: number; readonly deadLetters: number };
  /** Records whose positions carry neither id (another store's), left as they were. */
  readonly otherIds: readonly StoreIdCount[];
}

/** A position token is `<storeId>@<digits>`; checkpoints and dead letters keep it in a varchar(200). */
const MAX_STORE_ID = 160;

/**
 * Why `storeId` cannot be a store id, or undefined: it must be non-empty, without spaces at either
 * end or control characters, and at most 160 characters, so that its positions (`<id>@<up to 39
 * digits>`) fit the 200 characters checkpoints and dead letters keep.
 */
export function storeIdProblem(storeId: string): string | undefined {
  if (typeof storeId !== 'string' || storeId === '') return 'a store id cannot be empty';
  if (storeId.trim() !== storeId) return `store id "${storeId}" begins or ends with a space`;
  if (/[\u0000-\u001f\u007f]/.test(storeId)) return `store id ${JSON.stringify(storeId)} holds a control character`;
  if ([...storeId].length > MAX_STORE_ID)
    return `store id "${storeId.slice(0, 40)}…" is ${[...storeId].length} characters long; at most ${MAX_STORE_ID} fit a position`;
  return undefined;
}

/**
 * The id the database keeps, the id its name gives, and which ids its checkpoints' and dead
 * letters' positions carry. Reads only. Throws `EventStoreUnavailableError` (reason
 * `'not-migrated'`) when migration 0005 has not run.
 *
 * @example
 * ```ts
 * const { storeId, positions } = await inspectStoreId(store.db);
 * ```
 */
export async function inspectStoreId(db: Kysely<any>, options: { target?: string } = {}): Promise<StoreIdReport> {
  const dialect = detectDialect(db);
  return {
    storeId: await keptStoreId(db, dialect, options.target),
    derivedStoreId: await derivedStoreId(db, dialect),
    positions: await positionStoreIds(db, dialect),
  };
}

/**
 * Makes the database keep `storeId`, in one transaction: stores that open it afterwards use it,
 * and positions of the previous id are another store's. Setting the id it keeps changes nothing.
 * Refuses ({@link StoreIdChangeRefusedError}, nothing changed) while a subscription holds a lease
 * (an app runs and would go on writing the old id), and when checkpoints or dead letters carry the
 * id it keeps unless `rewritePositions` moves them to the new one. Throws `InvalidArgumentError`
 * for an id no store can use, and `EventStoreUnavailableError` (reason `'not-migrated'`) when
 * migration 0005 has not run. Stores already open keep the id they opened with: open them again.
 *
 * @example
 * ```ts
 * await setStoreId(db, 'shop-events', { rewritePositions: true });
 * ```
 */
export async function setStoreId(
  db: Kysely<any>,
  storeId: string,
  options: SetStoreIdOptions = {},
): Promise<SetStoreIdResult> {
  const problem = storeIdProblem(storeId);
  if (problem !== undefined) throw new InvalidArgumentError(`Cannot set the store id: ${problem}.`);
  const dialect = detectDialect(db);
  return db.transaction().execute(async (tx) => {
    const previous = await keptStoreId(tx, dialect, options.target, { lock: true });
    const none = { checkpoints: 0, deadLetters: 0 };
    const positions = await positionStoreIds(tx, dialect);
    const otherIds = positions.filter((p) => p.storeId !== previous && p.storeId !== storeId);
    if (previous === storeId) return { previousStoreId: previous, storeId, changed: false, rewritten: none, otherIds };
    const leases = await liveLeases(tx, dialect);
    if (leases > 0) throw new StoreIdChangeRefusedError('leases', previous, storeId, positions, leases);
    const own = positions.filter((p) => p.storeId === previous);
    if (own.length > 0 && !options.rewritePositions)
      throw new StoreIdChangeRefusedError('positions', previous, storeId, positions, 0);
    const rewritten = { ...none };
    for (const { table, count } of own) {
      rewritten[table] = await rewrite(tx, dialect, table, previous, storeId);
      // Rolls the transaction back rather than keep a new id that some of its records do not carry.
      if (rewritten[table] !== count)
        throw new Error(
          `setStoreId counted ${count} ${table} carrying "${previous}" but rewrote ${rewritten[table]}; nothing was changed.`,
        );
    }
    await tx.updateTable(SqlTable.storeIdentity).set({ store_id: storeId }).execute();
    return { previousStoreId: previous, storeId, changed: true, rewritten, otherIds };
  });
}

const POSITION_TABLES = { checkpoints: SqlTable.checkpoints, deadLetters: SqlTable.deadLetters } as const;

async function keptStoreId(
  db: Kysely<any>,
  dialect: SqlDialectName,
  target = 'the database',
  options: { lock?: boolean } = {},
): Promise<string> {
  // Checked first: on PostgreSQL a failed statement would abort the transaction.
  const row = (await tableExists(db, dialect, SqlTable.storeIdentity))
    ? await (
        options.lock && dialect !== 'sqlite'
          ? db.selectFrom(SqlTable.storeIdentity).select('store_id').forUpdate()
          : db.selectFrom(SqlTable.storeIdentity).select('store_id')
      ).executeTakeFirst()
    : undefined;
  if (row === undefined)
    throw new EventStoreUnavailableError(target, {
      reason: 'not-migrated',
      detail: 'it keeps no store id: migration 0005_store_identity has not run',
    });
  return (row as { store_id: string }).store_id;
}

/** The id in a position token: what precedes its last '@' (the token is `<storeId>@<digits>`). */
function positionStoreId(dialect: SqlDialectName): RawBuilder<string> {
  // The same expression as migration 0005's (a shipped migration keeps its own copy).
  return dialect === 'postgres'
    ? sql`regexp_replace(position, '@[0-9]+$', '')`
    : dialect === 'mysql'
      ? sql`substring(position, 1, char_length(position) - char_length(substring_index(position, '@', -1)) - 1)`
      : sql`substr(rtrim(position, '0123456789'), 1, length(rtrim(position, '0123456789')) - 1)`;
}

async function positionStoreIds(db: Kysely<any>, dialect: SqlDialectName): Promise<StoreIdCount[]> {
  const counts: StoreIdCount[] = [];
  for (const [table, name] of Object.entries(POSITION_TABLES) as [StoreIdCount['table'], string][]) {
    if (!(await tableExists(db, dialect, name))) continue;
    // MariaDB compares text case-insensitively: ids that differ only in case are different stores.
    const id = positionStoreId(dialect);
    const { rows } = await (
      dialect === 'mysql'
        ? sql<{ store_id: string; n: number | string | bigint }>`
          select min(${id}) as store_id, count(*) as n from ${sql.table(name)} group by binary ${id}`
        : sql<{ store_id: string; n: number | string | bigint }>`
          select ${id} as store_id, count(*) as n from ${sql.table(name)} group by 1`
    ).execute(db);
    const found = rows.map((row) => ({ table, storeId: row.store_id, count: Number(row.n) }));
    counts.push(...found.sort((a, b) => (a.storeId < b.storeId ? -1 : a.storeId > b.storeId ? 1 : 0)));
  }
  return counts;
}

/** Rewrites the positions of `table` that carry `from` to carry `to`; returns how many. */
async function rewrite(
  db: Kysely<any>,
  dialect: SqlDialectName,
  table: StoreIdCount['table'],
  from: string,
  to: string,
): Promise<number> {
  // `position` is `<from>@<digits>`: keep what follows `<from>`. Characters, as SQL counts them.
  const rest = sql`substr(position, ${[...from].length + 1})`;
  const { numAffectedRows } = await sql`update ${sql.table(POSITION_TABLES[table])}
    set position = ${dialect === 'mysql' ? sql`concat(${to}, ${rest})` : sql`${to} || ${rest}`}
    where ${dialect === 'mysql' ? sql`binary ${positionStoreId(dialect)} = binary ${from}` : sql`${positionStoreId(dialect)} = ${from}`}`.execute(
    db,
  );
  return Number(numAffectedRows ?? 0);
}

/** Subscription leases not yet expired: an app (or a rebuild) holds them. */
async function liveLeases(db: Kysely<any>, dialect: SqlDialectName): Promise<number> {
  if (!(await tableExists(db, dialect, SqlTable.leases))) return 0;
  const row = (await db
    .selectFrom(SqlTable.leases)
    .select((eb) => eb.fn.countAll().as('n'))
    .where('expires_at', '>', Date.now())
    .executeTakeFirst()) as { n: number | string | bigint } | undefined;
  return Number(row?.n ?? 0);
}

async function tableExists(db: Kysely<any>, dialect: SqlDialectName, table: string): Promise<boolean> {
  const query =
    dialect === 'postgres'
      ? sql`select 1 as present where to_regclass(${table}) is not null`
      : dialect === 'mysql'
        ? sql`select 1 as present from information_schema.tables where table_schema = database() and table_name = ${table}`
        : sql`select 1 as present from sqlite_master where type = 'table' and name = ${table}`;
  return (await query.execute(db)).rows.length > 0;
}

/** The id a store derives from the database's name, as migration 0005 derives it. */
async function derivedStoreId(db: Kysely<any>, dialect: SqlDialectName): Promise<string> {
  if (dialect === 'sqlite') {
    const { rows } = await sql<{ name: string; file: string }>`pragma database_list`.execute(db);
    const file = rows.find((row) => row.name === 'main')?.file ?? '';
    return `sqlite:${file === '' ? 'memory' : basename(file)}`;
  }
  const { rows } = await (
    dialect === 'postgres'
      ? sql<{ name: string }>`select current_database() as name`
      : sql<{ name: string }>`select database() as name`
  ).execute(db);
  return `${dialect === 'postgres' ? 'pg' : 'mysql'}:${rows[0]!.name}`;
}
