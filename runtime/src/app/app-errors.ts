import { EventsmithError } from '../errors.js';
import type { Position } from '../store/position.js';
import type { DeadLetterStatus } from '../subscriptions/dead-letter-queue.js';

/** The app cannot be built as configured (a missing database, an unknown aggregate…). */
export class AppConfigError extends EventsmithError {
  constructor(message: string) {
    super('APP.CONFIG', message);
  }
}

/**
 * An event a watched projection (or reaction) parked in the dead-letter queue instead of
 * applying, whose entry is still unresolved.
 */
export interface ProjectionDeadLetter {
  /** The projection's (or reaction's) name, its subscription in the dead-letter queue. */
  readonly name: string;
  /** The entry's id, for `eventsmith dlq retry <id>` or `eventsmith dlq resolve <id>`. */
  readonly deadLetterId: string;
  /** `pending`, or `retrying` while someone re-delivers it. */
  readonly status: DeadLetterStatus;
  readonly eventId: string;
  readonly eventType: string;
  readonly streamId: string;
  readonly position: Position;
  /** The handler's error message. */
  readonly error: string;
}

/** A projection that had not caught up when `waitForProjections` gave up. */
export interface ProjectionBehind {
  readonly name: string;
  /** Its checkpoint, or null before its first event. */
  readonly position: Position | null;
  readonly state: string;
  /** An unresolved dead letter of an event up to the awaited position, if it has one. */
  readonly deadLetter?: ProjectionDeadLetter;
}

/** `waitForProjections` timed out: `behind` lists the projections that had not reached `position`. */
export class ProjectionWaitTimeoutError extends EventsmithError {
  constructor(
    readonly position: Position,
    readonly timeoutMs: number,
    readonly behind: readonly ProjectionBehind[],
  ) {
    const parked = behind.filter((p) => p.deadLetter !== undefined);
    super(
      'APP.PROJECTION_WAIT_TIMEOUT',
      sentence(
        `Projections did not reach ${position.toString()} within ${timeoutMs} ms: ` +
          behind
            .map(
              (p) =>
                `${p.name} is at ${p.position?.toString() ?? 'the start'} (${p.state})` +
                (p.deadLetter
                  ? `, and dead-lettered ${describeParked(p.deadLetter)}${p.deadLetter.status === 'retrying' ? ', being retried' : ''}`
                  : ''),
            )
            .join('; '),
      ) +
        (parked.length > 0
          ? ` ${dlqFix(
              parked.map((p) => p.name),
              parked.map((p) => p.deadLetter!),
            )}`
          : ' Check the subscription errors (app.manager.statuses()) and the dead-letter queue, or wait longer.'),
    );
  }
}

/**
 * `waitForProjections` found that a projection it waits for (or, with `includeReactions`, a
 * reaction) dead-lettered an event at or before `position`: it moved past the event without
 * applying it, so its read model does not hold every event up to `position`. The wait stays
 * refused until each entry is retried successfully or resolved (`eventsmith dlq retry|resolve`).
 */
export class ProjectionDeadLetteredError extends EventsmithError {
  constructor(
    readonly position: Position,
    readonly deadLettered: readonly ProjectionDeadLetter[],
  ) {
    const names = [...new Set(deadLettered.map((d) => d.name))];
    super(
      'APP.PROJECTION_DEAD_LETTERED',
      `${names.join(', ')} did not apply every event up to ${position.toString()}: ` +
        sentence(deadLettered.map((d) => `${d.name} dead-lettered ${describeParked(d)}`).join('; ')) +
        ` ${dlqFix(names, deadLettered)} To wait without this check, pass { deadLetters: 'ignore' }.`,
    );
  }

  /** The projections (and reactions) that dead-lettered an event, each once. */
  get projections(): string[] {
    return [...new Set(this.deadLettered.map((d) => d.name))];
  }
}

/** `text` ending with one full stop. */
function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function describeParked(d: ProjectionDeadLetter): string {
  const reason = d.error.split('\n')[0] ?? '';
  const tooNew = TOO_NEW.exec(reason);
  return (
    `${d.eventType} ${d.eventId} of ${d.streamId} at ${d.position.toString()} (dead letter ${d.deadLetterId}): ` +
    (tooNew
      ? `a process running an older version of the app (it knew ${d.eventType} only up to v${tooNew[2]}) parked this ` +
        `v${tooNew[1]} event without delivering it; the event is not broken, and a process that knows v${tooNew[1]} applies it`
      : reason)
  );
}

/** The registry's `EventVersionTooNewError` text (`REGISTRY.VERSION_TOO_NEW`) inside a dead letter's error. */
const TOO_NEW = /schema version (\d+), but this code only knows up to v(\d+)/;

function dlqFix(names: readonly string[], parked: readonly ProjectionDeadLetter[]): string {
  const tooNew = parked.some((d) => TOO_NEW.test(d.error));
  return (
    (tooNew
      ? 'Re-deliver each entry an older version parked with `eventsmith dlq retry <id>` run by the newer version of the app ' +
        "(a reaction's with app.manager.retryDeadLetter(id) in a process that runs it). For any other entry: "
      : '') +
    `List the entries with \`eventsmith dlq list --db <url> --subscription ${names[0] ?? '<name>'}\`` +
    (names.length > 1 ? ' (and likewise for the others)' : '') +
    "; fix the handler, then re-deliver each with `eventsmith dlq retry <id>` (a reaction's with " +
    'app.manager.retryDeadLetter(id)), or accept the event unapplied with `eventsmith dlq resolve <id>`.'
  );
}
