import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Transaction } from 'kysely';
import { InvalidArgumentError } from '../../errors.js';
import type { DomainEvent } from '../../events/domain-event.js';
import type { AppendOptions, AppendResult, EventStoreTransaction } from '../event-store.js';
import { nameStatement, type StatementNamer } from './statement-naming.js';

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

/** What a SQL store's `transaction()` needs from its adapter (see `storeTransaction`). */
export interface StoreTransactionSteps<T> {
  /** Opens the database transaction and runs `body` in it, mapping the adapter's failures. */
  readonly run: (body: (trx: Transaction<any>) => Promise<T>) => Promise<T>;
  /** Appends inside the open transaction `trx`. */
  readonly append: (
    trx: Transaction<any>,
    streamId: string,
    events: readonly DomainEvent[],
    options: AppendOptions,
  ) => Promise<AppendResult>;
  /**
   * The transaction handle's internal {@link nameStatement} method (PostgreSQL: registers a text to
   * run as a named statement); the handle has none without it.
   */
  readonly nameStatement?: StatementNamer;
  /** Called when the transaction's function has settled, with its transaction. */
  readonly finished?: (trx: Transaction<any>) => void;
  /** Called once the transaction has committed, before the `afterCommit` callbacks. */
  readonly committed?: () => void;
}

/**
 * The one body of the SQL stores' `transaction()`: hands `fn` a transaction handle that appends
 * through `steps.append` until `fn` settles, makes it the ambient transaction of `db` (so the
 * store's own calls join it), and runs the `afterCommit` callbacks once it has committed.
 */
export async function storeTransaction<T>(
  db: Kysely<any>,
  steps: StoreTransactionSteps<T>,
  fn: (tx: EventStoreTransaction & { readonly sql: Transaction<any> }) => Promise<T>,
): Promise<T> {
  const callbacks: (() => void | Promise<void>)[] = [];
  const value = await steps.run(async (trx) => {
    let open = true;
    const tx = {
      sql: trx,
      appendToStream: async (streamId: string, events: readonly DomainEvent[], options: AppendOptions) => {
        if (!open) throw new InvalidArgumentError('This transaction has finished; append inside its function.');
        return steps.append(trx, streamId, events, options);
      },
      afterCommit: (callback: () => void | Promise<void>) => void callbacks.push(callback),
      ...(steps.nameStatement ? { [nameStatement]: steps.nameStatement } : {}),
    };
    try {
      return await runInStoreTransaction(db, trx, () => fn(tx));
    } finally {
      open = false;
      steps.finished?.(trx);
    }
  });
  steps.committed?.();
  for (const callback of callbacks) await callback();
  return value;
}
