import { InvalidArgumentError, TenantMismatchError } from '../errors.js';
import { checkIdText } from '../store/store-input.js';
import type { NewDeadLetter } from './dead-letter-queue.js';

/** Checks a tenant id given to `forTenant` of a checkpoint store, lock or dead-letter queue. */
export function checkTenantId(tenantId: string): string {
  if (typeof tenantId !== 'string' || tenantId.length === 0)
    throw new InvalidArgumentError('forTenant needs a non-empty tenant id.');
  checkIdText('tenant id', tenantId);
  return tenantId;
}

/**
 * The tenant of `entry` as a dead-letter queue view of `tenantId` (undefined: the whole queue)
 * stores it: the event's. Throws when a view is given another tenant's event.
 */
export function deadLetterTenant(entry: NewDeadLetter, tenantId: string | undefined): string | null {
  const tenant = entry.record.tenantId ?? null;
  if (tenantId !== undefined && tenant !== tenantId)
    throw new TenantMismatchError(tenantId, tenant ?? undefined, [entry.eventId]);
  return tenant;
}
