import { EventsmithError } from '../errors.js';

/** An event a projection could not handle during a rebuild. */
export interface PoisonEvent {
  readonly position: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly error: string;
}

/** A strict rebuild met a poison event; the live tables were left untouched. */
export class ProjectionRebuildError extends EventsmithError {
  constructor(
    readonly projection: string,
    readonly poison: PoisonEvent,
  ) {
    super(
      'PROJECTION.REBUILD_FAILED',
      `Rebuild of projection "${projection}" stopped at event ${poison.eventId} (${poison.eventType}, position ${poison.position}): ` +
        `${poison.error}. The live tables are unchanged; fix the handler (or the event with an upcaster) and rebuild again, ` +
        `or rebuild skipping such events and reporting them: \`--skip-failures\` (\`strict: false\` in code).`,
    );
  }
}

/** A rebuild cannot run: bad table names or options. */
export class ProjectionRebuildConfigError extends EventsmithError {
  constructor(
    readonly projection: string,
    problem: string,
  ) {
    super('PROJECTION.REBUILD_CONFIG', `Cannot rebuild projection "${projection}": ${problem}`);
  }
}

/** Who holds a projection's lease, as {@link ProjectionRebuildBusyError} reports it. */
export interface ProjectionLeaseHolder {
  /** The holder's identity in the lease table (`SqlLeaseLock`: `<host>:<pid>:<id>`). */
  readonly owner: string;
  /** The tenant whose lease it is; null for the unscoped store's. */
  readonly tenantId: string | null;
  /** When the lease runs out unless its holder renews it (it does while it runs). */
  readonly expiresAt: Date;
  /** Whether the holder is another rebuild rather than a process running the projection. */
  readonly rebuild: boolean;
}

/**
 * A rebuild outside the process that runs the projection found its lease taken: an app (or another
 * manager) is running the projection, and two writers would fight over its tables; or another
 * rebuild of it is running. `holder` says who holds the lease and until when, when the lock can
 * tell (`SqlLeaseLock`).
 */
export class ProjectionRebuildBusyError extends EventsmithError {
  constructor(
    readonly projection: string,
    readonly holder?: ProjectionLeaseHolder,
  ) {
    super(
      'PROJECTION.REBUILD_BUSY',
      `Cannot rebuild projection "${projection}": ` +
        (holder?.rebuild
          ? `another rebuild of it is running (${describeLeaseHolder(holder)}). Wait for it to finish; `
          : `another process is running it (${holder ? describeLeaseHolder(holder) : "it holds the projection's lease"}). ` +
            `Stop the processes that run it (an app, or an older version of it, that has this projection), or rebuild it in one of them with manager.rebuild("${projection}"), then try again; `) +
        `the lease of a process that died runs out by itself.`,
    );
  }
}

/** `process <owner> holds its lease until <time>, …`, with the tenant when the lease is a tenant's. */
export function describeLeaseHolder(holder: Omit<ProjectionLeaseHolder, 'rebuild'>): string {
  return (
    `process ${holder.owner} holds ${holder.tenantId === null ? 'its lease' : `tenant ${holder.tenantId}'s lease`} ` +
    `until ${holder.expiresAt.toISOString()} and renews it while it runs`
  );
}
