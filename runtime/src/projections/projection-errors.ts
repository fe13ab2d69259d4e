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

/** A rebuild cannot run: bad table names, or the projection is running in another process. */
export class ProjectionRebuildConfigError extends EventsmithError {
  constructor(
    readonly projection: string,
    problem: string,
  ) {
    super('PROJECTION.REBUILD_CONFIG', `Cannot rebuild projection "${projection}": ${problem}`);
  }
}
