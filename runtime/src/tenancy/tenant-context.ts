import { AsyncLocalStorage } from 'node:async_hooks';
import { EventsmithError } from '../errors.js';

const storage = new AsyncLocalStorage<string>();

/**
 * Runs `fn` with `tenantId` as the ambient tenant. Events raised inside it, without a tenant of
 * their own or from their command, carry this tenant.
 *
 * @example
 * ```ts
 * await withTenant('acme', () => repository.update(id, (account) => account.deposit('5')));
 * ```
 */
export function withTenant<T>(tenantId: string, fn: () => T): T {
  return storage.run(tenantId, fn);
}

/** The ambient tenant, if any. */
export function currentTenant(): string | undefined {
  return storage.getStore();
}

/** The ambient tenant; throws {@link TenantContextMissingError} when there is none. */
export function requireTenant(): string {
  const tenant = storage.getStore();
  if (tenant === undefined) throw new TenantContextMissingError();
  return tenant;
}

export class TenantContextMissingError extends EventsmithError {
  constructor() {
    super('TENANCY.NO_CONTEXT', 'No tenant is set. Wrap the call in withTenant(tenantId, () => …).');
  }
}
