import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { LockHandle, SubscriptionLock } from '../subscription-lock.js';

export interface PostgresAdvisoryLockOptions {
  /** How often the holding connection is checked. Default 2000 ms. */
  readonly heartbeatMs?: number;
  /** Namespace mixed into the lock keys, so unrelated applications on one database do not collide. Default "eventsmith". */
  readonly namespace?: string;
}

/**
 * One PostgreSQL session-level advisory lock per subscription, held on a connection of its own
 * (taken from the Kysely pool for as long as the lock is held). When the holder dies, PostgreSQL
 * closes its session and frees the lock at once, so a standby takes over within `lockRetryMs`.
 * A heartbeat notices a dropped connection and gives the lock up.
 *
 * @example
 * ```ts
 * const manager = new SubscriptionManager({ store, checkpoints, deadLetters, lock: new PostgresAdvisoryLock(store.db) });
 * ```
 */
export class PostgresAdvisoryLock implements SubscriptionLock {
  readonly #db: Kysely<any>;
  readonly #heartbeatMs: number;
  readonly #namespace: string;

  constructor(db: Kysely<any>, options: PostgresAdvisoryLockOptions = {}) {
    this.#db = db;
    this.#heartbeatMs = options.heartbeatMs ?? 2000;
    this.#namespace = options.namespace ?? 'eventsmith';
  }

  /** The 64-bit key of a name: the first 8 bytes of SHA-256(namespace + name), signed. */
  key(name: string): bigint {
    return createHash('sha256').update(`${this.#namespace}\u0000${name}`).digest().readBigInt64BE(0);
  }

  async tryAcquire(name: string): Promise<LockHandle | undefined> {
    const key = this.key(name).toString();
    return new Promise<LockHandle | undefined>((resolve, reject) => {
      let settled = false;
      this.#db
        .connection()
        .execute(async (conn) => {
          const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}::bigint) as locked`.execute(conn);
          if (!rows[0]?.locked) {
            settled = true;
            resolve(undefined);
            return;
          }
          let held = true;
          let release!: () => void;
          const released = new Promise<void>((r) => (release = r));
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
          settled = true;
          resolve(handle);
          const done = (async () => {
            // Hold the connection (and so the lock) until released, checking it is still alive.
            while (held) {
              const stop = await Promise.race([released.then(() => true), delay(this.#heartbeatMs).then(() => false)]);
              if (stop) break;
              try {
                await sql`select 1`.execute(conn);
              } catch {
                held = false;
                return;
              }
            }
            await sql`select pg_advisory_unlock(${key}::bigint)`.execute(conn).catch(() => undefined);
          })();
          await done;
        })
        .catch((error: unknown) => {
          if (!settled) reject(error);
        });
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
