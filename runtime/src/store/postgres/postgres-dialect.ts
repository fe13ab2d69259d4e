import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import { pgDriver } from './postgres-driver.js';
import { InvalidArgumentError } from '../../errors.js';
import type { EventStoreTables } from '../sql/event-store-tables.js';
import { decodeUrlPart, describeTarget, parseConnectionUrl } from '../sql/store-errors.js';

/** How to reach PostgreSQL: a connection URL, or a pg pool configuration. */
export type PostgresConnection =
  { readonly url: string; readonly pool?: Omit<pg.PoolConfig, 'connectionString'> } | { readonly pool: pg.PoolConfig };

export interface PostgresDatabase {
  readonly db: Kysely<EventStoreTables>;
  readonly pool: pg.Pool;
  /** Where the database is, password redacted, for error messages. */
  readonly target: string;
  /** The database name, for the default store id. */
  readonly database: string;
  /** The password as given (and URL-decoded), to remove from errors about the connection. */
  readonly secrets: readonly string[];
  /**
   * Statement texts that run as named (server-side prepared) statements when they come through
   * `db` (a transaction's queries, say), each under its name: text → name. A name must stand for
   * one text only.
   */
  readonly namedStatements: Map<string, string>;
  /** Opens another pool on the same server with `overrides` (the group commit's pipelining connection). */
  readonly openPool: (overrides: pg.PoolConfig) => pg.Pool;
}

/**
 * Opens a pg pool and a Kysely instance on it (`PostgresDialect`). Errors of idle pooled
 * connections (a restarted server, a killed backend) are absorbed: the pool drops the connection
 * and the next query opens a new one, or fails with `EventStoreUnavailableError`.
 *
 * @example
 * ```ts
 * const { db, pool } = createPostgresDatabase({ url: process.env.DATABASE_URL! });
 * ```
 */
export function createPostgresDatabase(connection: PostgresConnection): PostgresDatabase {
  const config: pg.PoolConfig =
    'url' in connection ? { ...connection.pool, connectionString: connection.url } : { ...connection.pool };
  if (!config.connectionString && !config.host && !process.env['PGHOST']) {
    throw new InvalidArgumentError('PostgreSQL connection needs a url, or pool options with a host.');
  }
  const url = config.connectionString ? parseConnectionUrl(config.connectionString, 'PostgreSQL') : undefined;
  const host = url?.hostname || config.host || process.env['PGHOST'] || 'localhost';
  const port = url?.port || config.port || 5432;
  const database =
    (url ? decodeUrlPart(url.pathname.slice(1)) : config.database) || process.env['PGDATABASE'] || 'postgres';
  const user = (url ? decodeUrlPart(url.username) : config.user) || '';
  const secrets = [
    url?.password,
    url && decodeUrlPart(url.password),
    typeof config.password === 'string' ? config.password : undefined,
  ];
  const target = describeTarget(
    `postgres://${user ? `${user}${config.password || url?.password ? ':***' : ''}@` : ''}${host}:${port}/${database}`,
  );
  const openPool = (overrides: pg.PoolConfig) => {
    const opened = new pgDriver.Pool({ connectionTimeoutMillis: 10_000, ...config, ...overrides });
    opened.on('error', () => {
      // An idle client died (server restart, pg_terminate_backend); pg already removed it.
    });
    // A checked-out client whose backend dies emits 'error' too; its next query fails instead.
    opened.on('connect', (client) => client.on('error', () => undefined));
    return opened;
  };
  const namedStatements = new Map<string, string>();
  const pool = openPool({});
  pool.on('connect', (client) => nameRegisteredStatements(client, namedStatements));
  const db = new Kysely<EventStoreTables>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    target,
    database,
    secrets: secrets.filter((secret): secret is string => Boolean(secret)),
    namedStatements,
    openPool,
  };
}

/**
 * Kysely's `PostgresDialect` sends every query as `client.query(text, parameters)`, so a
 * transaction's statements are unnamed: PostgreSQL parses and plans them on every run. On this
 * pooled client, a text found in `names` goes as `client.query({ name, text, values })` instead,
 * and the connection prepares it once. Anything else (other texts, query configs, Kysely's
 * cursors, pg-pool's callback form of other texts) passes through as it came.
 */
function nameRegisteredStatements(client: pg.PoolClient, names: ReadonlyMap<string, string>): void {
  const query = client.query;
  client.query = function (this: pg.PoolClient, ...args: unknown[]) {
    const [text, values, callback] = args;
    const name = typeof text === 'string' && Array.isArray(values) ? names.get(text) : undefined;
    return name === undefined
      ? (query as (...args: unknown[]) => unknown).apply(this, args)
      : (query as (...args: unknown[]) => unknown).call(this, { name, text, values }, callback);
  } as typeof client.query;
}
