import type { ProjectionLeaseHolder } from './projection-errors.js';

/** `process <owner> holds its lease until <time>, …`, with the tenant when the lease is a tenant's. */
export function describeLeaseHolder(holder: Omit<ProjectionLeaseHolder, 'rebuild'>): string {
  return (
    `process ${holder.owner} holds ${holder.tenantId === null ? 'its lease' : `tenant ${holder.tenantId}'s lease`} ` +
    `until ${holder.expiresAt.toISOString()} and renews it while it runs`
  );
}
