/** How the owner of a lease a rebuild holds starts (see {@link SqlLeaseLock.forRebuild}). */
export const REBUILD_LEASE_OWNER_PREFIX = 'rebuild:';

/**
 * Whether a lease's owner is a rebuild's (`eventsmith migrate`, `eventsmith projections rebuild`,
 * `manager.rebuild` outside the process running the projection) rather than a process running it.
 *
 * @example
 * ```ts
 * isRebuildLeaseOwner(new SqlLeaseLock(db).forRebuild().owner); // true
 * ```
 */
export function isRebuildLeaseOwner(owner: string): boolean {
  return owner.startsWith(REBUILD_LEASE_OWNER_PREFIX);
}
