import { EventsmithError } from '../errors.js';
import type { Position } from '../store/position.js';

/** The app cannot be built as configured (a missing database, an unknown aggregate…). */
export class AppConfigError extends EventsmithError {
  constructor(message: string) {
    super('APP.CONFIG', message);
  }
}

/** A projection that had not caught up when `waitForProjections` gave up. */
export interface ProjectionBehind {
  readonly name: string;
  /** Its checkpoint, or null before its first event. */
  readonly position: Position | null;
  readonly state: string;
}

/** `waitForProjections` timed out: `behind` lists the projections that had not reached `position`. */
export class ProjectionWaitTimeoutError extends EventsmithError {
  constructor(
    readonly position: Position,
    readonly timeoutMs: number,
    readonly behind: readonly ProjectionBehind[],
  ) {
    super(
      'APP.PROJECTION_WAIT_TIMEOUT',
      `Projections did not reach ${position.toString()} within ${timeoutMs} ms: ` +
        behind.map((p) => `${p.name} is at ${p.position?.toString() ?? 'the start'} (${p.state})`).join('; ') +
        '. Check the subscription errors (app.manager.statuses()) and the dead-letter queue, or wait longer.',
    );
  }
}
