/**
 * The two stores of a PostgreSQL row-level security test, on a fresh database: the owner's, which
 * migrated the tables and bypasses their policies, and the application's, as a login role that
 * does not own the tables, so that the policies apply to it.
 */
import { afterAll, beforeAll } from 'vitest';
import { createNonOwnerRole, type NonOwnerRole } from '@eventsmith/test/support/postgres-role';
import { freshPostgresDatabase } from '@eventsmith/test/support/services';
import type { EventRegistry } from '../events/event-registry.js';
import { PostgresEventStore } from '../store/postgres/postgres-event-store.js';
import { migrateSubscriptionTables } from '../subscriptions/sql/subscription-tables.js';

export interface RowLevelSecurityStores {
  /** The store of the tables' owner (policies bypassed). */
  readonly owner: PostgresEventStore;
  /** The store of the application role (policies applied). */
  readonly app: PostgresEventStore;
  /** The database's URL as the application role. */
  readonly appUrl: string;
}

export interface RowLevelSecurityOptions {
  readonly registry: EventRegistry;
  /** Start of the application role's name. */
  readonly role: string;
  /** What the role is granted (`grant <grant> to <role>`), on the tables the owner migrated. */
  readonly grants: readonly string[];
  /** Also migrate the subscription tables (checkpoints, dead letters, outbox) with row-level security. */
  readonly subscriptionTables?: boolean;
  /** The application store's options beyond the URL, the registry and row-level security. */
  readonly app?: { readonly groupCommit?: boolean };
}

/**
 * Opens both stores before the suite's tests (in `beforeAll`) and closes and drops everything after
 * them. Call it inside the suite's `describe`.
 *
 * @example
 * ```ts
 * const stores = useRowLevelSecurityStores({ registry, role: 'es_app', grants: ['select on eventsmith_events'] });
 * it('...', async () => {
 *   const { owner, app } = stores();
 * });
 * ```
 */
export function useRowLevelSecurityStores(options: RowLevelSecurityOptions): () => RowLevelSecurityStores {
  let role: NonOwnerRole | undefined;
  let drop: (() => Promise<void>) | undefined;
  let owner: PostgresEventStore | undefined;
  let app: PostgresEventStore | undefined;
  beforeAll(async () => {
    const fresh = await freshPostgresDatabase();
    drop = fresh.drop;
    owner = await PostgresEventStore.open({ url: fresh.url, registry: options.registry, rowLevelSecurity: true });
    if (options.subscriptionTables) await migrateSubscriptionTables(owner.db, 'postgres', { rowLevelSecurity: true });
    role = await createNonOwnerRole(fresh.url, options.role, options.grants);
    app = await PostgresEventStore.open({
      url: role.url,
      registry: options.registry,
      rowLevelSecurity: true,
      migrate: false,
      ...options.app,
    });
  });
  afterAll(async () => {
    await app?.close();
    await owner?.close();
    await drop?.();
    await role?.drop();
  });
  return () => {
    if (!owner || !app || !role) throw new Error('The row-level security stores are only open inside the suite.');
    return { owner, app, appUrl: role.url };
  };
}
