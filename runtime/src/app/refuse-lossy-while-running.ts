import type { Kysely } from 'kysely';
import { EventsmithError } from '../errors.js';
import { describeLeaseHolder } from '../projections/lease-holder-text.js';
import { SqlMigrationTable, SqlTable } from '../store/sql/sql-tables.js';
import { tableExists } from '../store/sql/table-exists.js';
import type { HeldLease } from '../subscriptions/subscription-errors.js';
import { hasCheckpoint } from '../subscriptions/sql/pending-rebuilds.js';
import { liveLeases } from '../subscriptions/sql/projection-leases.js';
import { isRebuildLeaseOwner } from '../subscriptions/sql/rebuild-lease-owner.js';

/** A projection a pending lossy migration would empty or reset while another process runs it. */
export interface RunningLossyProjection {
  readonly domain: string;
  /** The first pending migration that names it in `rebuild`. */
  readonly migration: string;
  readonly projection: string;
  /** The leases held on it by processes that run it (not by rebuilds). */
  readonly leases: readonly HeldLease[];
}

/**
 * Nothing was migrated: a projection migration not applied yet empties or resets the table of a
 * projection (it names it in `rebuild`) that another process runs now (it holds the projection's
 * lease), typically a replica of the app's previous version. Applied, it would leave that table
 * empty or at zero values while those processes serve it, and the rebuild that follows would be
 * refused until they stop. `running` says which migration, projection and lease holders.
 */
export class ProjectionRunningError extends EventsmithError {
  constructor(readonly running: readonly RunningLossyProjection[]) {
    const names = [...new Set(running.map((r) => r.projection))];
    super(
      'APP.PROJECTION_RUNNING',
      `Nothing was migrated: ` +
        running
          .map(
            (r) =>
              `migration ${r.migration} of ${r.domain} empties or resets the table of ${r.projection}, which another process runs (${r.leases.map(describeLeaseHolder).join('; ')})`,
          )
          .join('; ') +
        `. Applied now, it would leave that table empty or at zero values while that process runs, and the rebuild after it would be refused. ` +
        `Stop the processes that run ${names.join(' and ')} (an app of the version before this migration), then migrate again; ` +
        `or migrate without rebuilding (\`eventsmith migrate --no-rebuild\`; in code, migrateApp without \`rebuild\`, createApp without \`rebuild: true\`) to apply it now and rebuild later: ` +
        `the table stays empty meanwhile. The lease of a process that died runs out by itself.`,
    );
  }
}

/** A domain's projection migrations and the table that records those applied. */
export interface RecordedMigrations {
  readonly domain: string;
  /** The table that records its applied projection migrations (`projectionMigrationTable`). */
  readonly table: string;
  readonly migrations: Readonly<Record<string, { readonly rebuild?: readonly string[] | undefined }>>;
}

/**
 * Throws {@link ProjectionRunningError}, before anything is applied, when a projection migration
 * not applied yet names in `rebuild` a projection that has run (it has a checkpoint: only those
 * are marked for a rebuild) and that another process runs now (a lease held, not by a rebuild).
 *
 * A process may take the lease between this check and the migration: the rebuild after the
 * migration then refuses to run (`PROJECTION.REBUILD_BUSY`) and the mark stays, as before this
 * check existed. It narrows the window; it cannot close it without stopping the other processes.
 */
export async function refuseLossyWhileRunning(db: Kysely<any>, domains: readonly RecordedMigrations[]): Promise<void> {
  if (!(await tableExists(db, SqlTable.leases)) || !(await tableExists(db, SqlTable.checkpoints))) return;
  const running: RunningLossyProjection[] = [];
  const seen = new Set<string>();
  for (const { domain, table, migrations } of domains) {
    const lossy = Object.entries(migrations).filter(([, m]) => (m.rebuild ?? []).length > 0);
    if (lossy.length === 0) continue;
    const applied = await appliedMigrations(db, table);
    for (const [migration, { rebuild }] of lossy.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (applied.has(migration)) continue;
      for (const projection of rebuild ?? []) {
        if (seen.has(projection)) continue;
        seen.add(projection);
        if (!(await hasCheckpoint(db, projection))) continue;
        const leases = (await liveLeases(db, projection)).filter((lease) => !isRebuildLeaseOwner(lease.owner));
        if (leases.length > 0) running.push({ domain, migration, projection, leases });
      }
    }
  }
  if (running.length > 0) throw new ProjectionRunningError(running);
}

/**
 * The migrations recorded in the domain's table; before that table exists, those recorded in the
 * table older versions shared between domains (`migrateApp` adopts them instead of running them).
 */
async function appliedMigrations(db: Kysely<any>, table: string): Promise<Set<string>> {
  for (const recorded of [table, SqlMigrationTable.projections]) {
    if (!(await tableExists(db, recorded))) continue;
    const rows = (await db.selectFrom(recorded).select('name').execute()) as { name: string }[];
    return new Set(rows.map((row) => row.name));
  }
  return new Set();
}
