import type { Kysely } from 'kysely';
import { SqlTable } from '../../store/sql/sql-tables.js';
import { tableExists } from '../../store/sql/table-exists.js';
import type { HeldLease } from '../subscription-errors.js';
import { listPendingRebuilds } from './pending-rebuilds.js';
import { isRebuildLeaseOwner } from './rebuild-lease-owner.js';

/**
 * The live leases of subscription `name` in `SqlLeaseLock`'s table, of every tenant (or of
 * `tenantId` only): who runs it (or rebuilds it) now. None when the table does not exist yet.
 */
export async function liveLeases(
  db: Kysely<any>,
  name: string,
  options: { readonly now?: number; readonly tenantId?: string } = {},
): Promise<HeldLease[]> {
  if (!(await tableExists(db, SqlTable.leases))) return [];
  let query = db
    .selectFrom(SqlTable.leases)
    .select(['tenant_id', 'owner', 'expires_at'])
    .where('name', '=', name)
    .where('expires_at', '>=', options.now ?? Date.now());
  if (options.tenantId !== undefined) query = query.where('tenant_id', '=', options.tenantId);
  const rows = (await query.orderBy('tenant_id').execute()) as {
    tenant_id: string;
    owner: string;
    expires_at: number | string;
  }[];
  return rows.map((row) => ({
    tenantId: row.tenant_id === '' ? null : row.tenant_id,
    owner: row.owner,
    expiresAt: new Date(Number(row.expires_at)),
  }));
}

/** What {@link awaitRebuildElsewhere} found once it stopped waiting. */
export type RebuildElsewhere =
  /** The projection's mark is gone: another process completed a rebuild of it. */
  | 'rebuilt'
  /** Still marked, and no rebuild holds its lease any more (it failed or died): try again. */
  | 'free'
  /** Still marked, and a process that runs the projection (not a rebuild) holds its lease. */
  | 'running'
  /** Still marked, and another rebuild still held the lease after `maxWaitMs`. */
  | 'timeout';

/**
 * After a rebuild of `projection` was refused because its lease is taken: waits while another
 * rebuild holds it (another `eventsmith migrate` or `projections rebuild` at the same time, whose
 * lease owner says it is a rebuild), then says whether that one cleared the projection's mark of
 * needing a rebuild. The wait ends with the other rebuild: its lease is released when it is done,
 * and runs out within its lifetime if its process dies; `maxWaitMs` bounds it in any case.
 */
export async function awaitRebuildElsewhere(
  db: Kysely<any>,
  projection: string,
  options: {
    readonly maxWaitMs?: number;
    readonly pollMs?: number;
    /** Called once, when it starts waiting for the other rebuild, with that one's lease. */
    readonly onWait?: (lease: HeldLease) => void;
  } = {},
): Promise<RebuildElsewhere> {
  const deadline = Date.now() + (options.maxWaitMs ?? 30 * 60_000);
  let waiting = false;
  for (;;) {
    if (!(await listPendingRebuilds(db)).some((p) => p.projection === projection)) return 'rebuilt';
    const leases = await liveLeases(db, projection);
    if (leases.some((lease) => !isRebuildLeaseOwner(lease.owner))) return 'running';
    if (leases.length === 0) return 'free';
    if (Date.now() >= deadline) return 'timeout';
    if (!waiting) options.onWait?.(leases[0]!);
    waiting = true;
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
}
