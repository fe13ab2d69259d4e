import { createHash } from 'node:crypto';
import { CompiledQuery, type Kysely } from 'kysely';
import { checkTenantId } from '../tenant-view.js';
import type { LockHandle, SubscriptionLock } from '../subscription-lock.js';
import { sameTenantView } from '../../tenancy/view-tenant.js';

/** The part of a `pg.Client` a lock held on a connection of its own uses (pass `() => new pg.Client(url)`). */
export interface AdvisoryLockClient {
  connect(): Promise<unknown>;
  query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  end(): Promise<void>;
}

export interface PostgresAdvisoryLockOptions {
  /** How often the holding connection is checked. Default 2000 ms. */
  readonly heartbeatMs?: number;
  /** Namespace mixed into the lock keys, so unrelated applications on one database do not collide. Default "eventsmith". */
  readonly namespace?: string;
  /**
   * Opens a connection of its own for each lock held, e.g.
   * `() => new pg.Client({ connectionString: url })`, so held locks take nothing from the pool.
   * Without it, each held lock keeps one connection of `db`'s pool for as long as it is held.
   */
  readonly connect?: () => AdvisoryLockClient;
}

type Query = (text: string, values: unknown[]) => Promise<unknown[]>;

const TRY_LOCK = 'select pg_try_advisory_lock($1::bigint) as locked';
const UNLOCK = 'select pg_advisory_unlock($1::bigint)';

/**
 * One PostgreSQL session-level advisory lock per subscription, held on a connection for as long as
 * the lock is held. When the holder dies, PostgreSQL closes its session and frees the lock at once,
 * so a standby takes over within `lockRetryMs`. A heartbeat notices a dropped connection and gives
 * the lock up.
 *
 * Pass `connect` so that each held lock runs on a connection of its own. Without it, a held lock
 * keeps a connection of `db`'s pool, and the subscription holding it needs another one to read:
 * the pool must then have more connections than the locks held at once, or the subscriptions
 * wait for connections that never come.
 *
 * @example
 * ```ts
 * const lock = new PostgresAdvisoryLock(store.db, { connect: () => new pg.Client({ connectionString: url }) });
 * const manager = new SubscriptionManager({ store, checkpoints, deadLetters, lock });
 * ```
 */
export class PostgresAdvisoryLock implements SubscriptionLock {
  readonly #db: Kysely<any>;
  readonly #heartbeatMs: number;
  readonly #namespace: string;
  readonly #connect: (() => AdvisoryLockClient) | undefined;
  readonly #options: PostgresAdvisoryLockOptions;
  #tenantId: string | undefined;

  constructor(db: Kysely<any>, options: PostgresAdvisoryLockOptions = {}) {
    this.#db = db;
    this.#options = options;
    this.#heartbeatMs = options.heartbeatMs ?? 2000;
    this.#namespace = options.namespace ?? 'eventsmith';
    this.#connect = options.connect;
  }

  /**
   * The 64-bit key of a name: the first 8 bytes of SHA-256(namespace + name), signed. On a tenant
   * view, of the JSON array [namespace, tenant, name] (which has no NUL, so never meets a name of
   * the lock itself).
   */
  key(name: string): bigint {
    const text =
      this.#tenantId === undefined
        ? `${this.#namespace}\u0000${name}`
        : JSON.stringify([this.#namespace, this.#tenantId, name]);
    return createHash('sha256').update(text).digest().readBigInt64BE(0);
  }

  /** A view locking `tenantId`'s subscriptions. */
  forTenant(tenantId: string): PostgresAdvisoryLock {
    if (sameTenantView('subscription lock', this.#tenantId, checkTenantId(tenantId))) return this;
    const view = new PostgresAdvisoryLock(this.#db, this.#options);
    view.#tenantId = checkTenantId(tenantId);
    return view;
  }

  async tryAcquire(name: string): Promise<LockHandle | undefined> {
    const key = this.key(name).toString();
    return this.#connect ? this.#onOwnConnection(this.#connect, key) : this.#onPooledConnection(key);
  }

  async #onOwnConnection(connect: () => AdvisoryLockClient, key: string): Promise<LockHandle | undefined> {
    const client = connect();
    client.on('error', () => undefined); // a dropped connection: the heartbeat gives the lock up
    const end = () => client.end().catch(() => undefined);
    try {
      await client.connect();
      const { rows } = await client.query(TRY_LOCK, [key]);
      if (!(rows[0] as { locked?: boolean } | undefined)?.locked) {
        await end();
        return undefined;
      }
    } catch (error) {
      await end();
      throw error;
    }
    return this.#hold(key, async (text, values) => (await client.query(text, values)).rows, end).handle;
  }

  #onPooledConnection(key: string): Promise<LockHandle | undefined> {
    return new Promise<LockHandle | undefined>((resolve, reject) => {
      let settled = false;
      this.#db
        .connection()
        .execute(async (conn) => {
          const query: Query = async (text, values) => (await conn.executeQuery(CompiledQuery.raw(text, values))).rows;
          const rows = await query(TRY_LOCK, [key]);
          if (!(rows[0] as { locked?: boolean } | undefined)?.locked) {
            settled = true;
            resolve(undefined);
            return;
          }
          const { handle, done } = this.#hold(key, query);
          settled = true;
          resolve(handle);
          await done; // the connection goes back to the pool once the lock is given up
        })
        .catch((error: unknown) => {
          if (!settled) reject(error);
        });
    });
  }

  /** Keeps the lock on `query`'s session, checking it is alive, until released; then unlocks and runs `close`. */
  #hold(key: string, query: Query, close?: () => Promise<void>): { handle: LockHandle; done: Promise<void> } {
    let held = true;
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const done = (async () => {
      while (held) {
        const stop = await Promise.race([released.then(() => true), delay(this.#heartbeatMs).then(() => false)]);
        if (stop) break;
        try {
          await query('select 1', []);
        } catch {
          held = false;
          break;
        }
      }
      await query(UNLOCK, [key]).catch(() => undefined);
      await close?.();
    })();
    const handle: LockHandle = {
      get held() {
        return held;
      },
      release: async () => {
        if (!held) return;
        held = false;
        release();
        await done;
      },
    };
    return { handle, done };
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
