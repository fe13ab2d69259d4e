import { Kysely, MysqlDialect } from 'kysely';
import type { Pool, PoolOptions } from 'mysql2';
import { mysql2 } from './mysql-driver.js';
import { InvalidArgumentError } from '../../errors.js';
import type { EventStoreTables } from '../sql/event-store-tables.js';
import { decodeUrlPart, describeTarget, parseConnectionUrl } from '../sql/store-errors.js';

/** How to reach MariaDB/MySQL: a connection URL, or mysql2 pool options. */
export type MysqlConnection = { readonly url: string; readonly pool?: PoolOptions } | { readonly pool: PoolOptions };

export interface MysqlDatabase {
  readonly db: Kysely<EventStoreTables>;
  readonly pool: Pool;
  readonly target: string;
  readonly database: string;
  /** The password as given (and URL-decoded), to remove from errors about the connection. */
  readonly secrets: readonly string[];
}

/**
 * What every connection of the pool runs first. The tracked `last_insert_id` brings a MariaDB
 * append's position back in its OK packet (see `compoundTransaction`).
 */
const SESSION_SETTINGS =
  "set session transaction isolation level read committed; set session sql_mode = concat_ws(',', @@sql_mode, 'STRICT_ALL_TABLES'); set session time_zone = '+00:00'; " +
  "set session session_track_system_variables = case @@session_track_system_variables when '*' then '*' when '' then 'last_insert_id' else concat(@@session_track_system_variables, ',last_insert_id') end";

/**
 * Opens a mysql2 pool and a Kysely instance on it (`MysqlDialect`), with the settings the store
 * relies on forced on: multiple statements per query (an append is one round trip), JSON and DATETIMEs as
 * strings (no time-zone guessing; the store writes UTC), 64-bit integers as strings, and, per
 * connection, READ COMMITTED isolation and strict SQL mode.
 *
 * @example
 * ```ts
 * const { db } = createMysqlDatabase({ url: 'mysql://app:secret@db:3306/app' });
 * ```
 */
export function createMysqlDatabase(connection: MysqlConnection): MysqlDatabase {
  const options: PoolOptions =
    'url' in connection ? { ...connection.pool, uri: connection.url } : { ...connection.pool };
  if (!options.uri && !options.host)
    throw new InvalidArgumentError('MariaDB/MySQL connection needs a url, or pool options with a host.');
  const url = options.uri ? parseConnectionUrl(options.uri, 'MariaDB/MySQL') : undefined;
  const host = url?.hostname || options.host || 'localhost';
  const port = url?.port || options.port || 3306;
  const database = (url ? decodeUrlPart(url.pathname.slice(1)) : options.database) || '';
  const user = (url ? decodeUrlPart(url.username) : options.user) || '';
  const secrets = [
    url?.password,
    url && decodeUrlPart(url.password),
    options.password,
    options.password1,
    options.password2,
    options.password3,
  ];
  const secret = Boolean(url?.password || options.password);
  const target = describeTarget(`mysql://${user ? `${user}${secret ? ':***' : ''}@` : ''}${host}:${port}/${database}`);
  const pool = mysql2.createPool({
    connectTimeout: 10_000,
    ...options,
    multipleStatements: true,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    jsonStrings: true,
    charset: 'utf8mb4',
  });
  pool.on('connection', (raw) => {
    raw.on('error', () => undefined);
    // Queued first on every new connection, so it runs before anything Kysely or the store sends
    // on it (the store's appends use the pool directly). A connection it fails on is closed: nothing
    // runs there without these settings.
    raw.query(SESSION_SETTINGS, (error) => {
      if (error) raw.destroy();
    });
  });
  const db = new Kysely<EventStoreTables>({ dialect: new MysqlDialect({ pool }) });
  return {
    db,
    pool,
    target,
    database,
    secrets: secrets.filter((secret): secret is string => typeof secret === 'string' && secret !== ''),
  };
}
