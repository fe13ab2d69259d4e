import type { EventStore, EventStoreTransaction } from '../store/event-store.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { SubscriptionConfigError } from './subscription-errors.js';
import type { SubscriptionOptions } from './subscription-options.js';

/** Runs `fn` in one transaction, giving it the SQL handle and (for store transactions) the store transaction. */
export type TransactionRunner = <T>(
  fn: (sql: unknown, tx: EventStoreTransaction | undefined) => Promise<T>,
) => Promise<T>;

/** The runner for the subscription's `transaction` mode, or undefined when it runs outside transactions. */
export function transactionRunner(
  env: { readonly store: EventStore; readonly checkpoints: CheckpointStore },
  options: SubscriptionOptions,
): TransactionRunner | undefined {
  const mode = options.transaction;
  if (mode === undefined) return undefined;
  if (mode === 'store') return (fn) => env.store.transaction((tx) => fn(tx.sql, tx));
  if (!env.checkpoints.transactional) {
    throw new SubscriptionConfigError(
      options.name,
      'runs in transactions of its own database, but its checkpoint store cannot join them; use a SqlCheckpointStore on that database.',
    );
  }
  const db = mode.db;
  return (fn) => db.transaction().execute((trx) => fn(trx, undefined));
}
