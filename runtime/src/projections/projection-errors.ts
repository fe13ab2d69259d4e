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
        `or rebuild without strict to skip and report such events.`,
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

/**
 * A rebuild outside the process that runs the projection found its lease taken: an app (or another
 * manager) is running the projection, and two writers would fight over its tables.
 */
export class ProjectionRebuildBusyError extends EventsmithError {
  constructor(readonly projection: string) {
    super(
      'PROJECTION.REBUILD_BUSY',
      `Cannot rebuild projection "${projection}": another process is running it (it holds the projection's lease). ` +
        `Stop the processes that run it, or rebuild it in one of them with manager.rebuild("${projection}"), then try again; ` +
        `the lease of a process that died runs out by itself.`,
    );
  }
}
