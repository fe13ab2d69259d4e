import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Transaction } from 'kysely';

interface Ambient {
  /** The store's Kysely instance the transaction was opened on. */
  readonly db: Kysely<any>;
  readonly trx: Transaction<any>;
}

const storage = new AsyncLocalStorage<Ambient>();

/** Runs `fn` with `trx` as the open store transaction of `db`. */
export function runInStoreTransaction<T>(db: Kysely<any>, trx: Transaction<any>, fn: () => Promise<T>): Promise<T> {
  return storage.run({ db, trx }, fn);
}

/**
 * The handle to write through: the open `store.transaction()` of `db` when called from inside
 * one, so writes join it (and cannot deadlock on SQLite's single writer connection), else `db`.
 */
export function currentExecutor(db: Kysely<any>): Kysely<any> {
  const ambient = storage.getStore();
  return ambient && ambient.db === db ? ambient.trx : db;
}

/** The open `store.transaction()` of `db` when called from inside one. */
export function currentTransaction(db: Kysely<any>): Transaction<any> | undefined {
  const ambient = storage.getStore();
  return ambient && ambient.db === db ? ambient.trx : undefined;
}
