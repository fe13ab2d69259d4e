import type { EventStoreTransaction } from '../event-store.js';

/**
 * Internal (not exported from the package): the key of a store transaction's method that asks the
 * store to run a statement text as a named (server-side prepared) statement when it comes through
 * the transaction's `sql` handle. Only the PostgreSQL store's transactions have it (see
 * `createPostgresDatabase`): each connection then parses the text once and keeps its plan. The
 * method may decline (past the store's limit of such texts); the statement then runs unnamed.
 * `name` must stand for `text` alone, e.g. a hash of it.
 */
export const nameStatement: unique symbol = Symbol('eventsmith.nameStatement');

/** Registers `text` under `name`; see {@link nameStatement}. */
export type StatementNamer = (text: string, name: string) => void;

/** The transaction's {@link nameStatement} method, or undefined when its store has none. */
export function statementNamer(tx: EventStoreTransaction): StatementNamer | undefined {
  const namer = (tx as { readonly [nameStatement]?: StatementNamer })[nameStatement];
  return typeof namer === 'function' ? namer : undefined;
}
