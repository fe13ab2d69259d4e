import { EventsmithError } from '../errors.js';
import { describeLeaseHolder } from './lease-holder-text.js';

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

/** A primary key, or any columns, of a projection's row: column to value. */
export type RowKeyValues = Readonly<Record<string, unknown>>;

/**
 * A declarative projection's `insert` met a row that exists: one with the same primary key, or
 * (`index` set) the same values in another unique index. `key` is the row's key where known;
 * for a multi-row insert whose conflicting row the database did not name, `candidates` holds
 * the keys it inserted (one of them conflicts). The driver's error is the `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await projection.handle(stored, { db });
 * } catch (error) {
 *   if (error instanceof ProjectionRowExistsError) console.log(error.table, error.key ?? error.candidates);
 * }
 * ```
 */
export class ProjectionRowExistsError extends EventsmithError {
  constructor(
    readonly projection: string | undefined,
    readonly table: string,
    readonly key: RowKeyValues | undefined,
    readonly candidates: readonly RowKeyValues[],
    /** The unique index other than the primary key that was violated, or undefined for the primary key. */
    readonly index: string | undefined,
    options: { readonly primaryKey: boolean; readonly cause: unknown },
  ) {
    const who = projection === undefined ? 'A declarative projection' : `Projection "${projection}"`;
    const retry = 'then retry the dead letter (eventsmith dlq retry <id>).';
    const message = options.primaryKey
      ? `${who} cannot insert into table "${table}": ${existing(key, candidates)} already exists. ` +
        `If the row may exist already (the event can be replayed, or another event creates the row), ` +
        `use \`upsert\` instead of \`insert\` for this event in the projection's YAML, run eventsmith generate, ${retry}`
      : `${who} cannot insert ${key === undefined ? 'a row' : `the row with key ${describeKey(key)}`} into table "${table}": ` +
        `another row already has the same values in its unique index${index === undefined ? '' : ` "${index}"`}. ` +
        `If rows may share those values, drop \`unique: true\` from that index in the projection's YAML and run eventsmith generate ` +
        `(or write values that differ), ${retry}`;
    super('PROJECTION.ROW_EXISTS', message, { cause: options.cause });
  }
}

const SHOWN_CANDIDATES = 5;

function existing(key: RowKeyValues | undefined, candidates: readonly RowKeyValues[]): string {
  if (key !== undefined) return `a row with key ${describeKey(key)}`;
  if (candidates.length === 0) return 'a row with the same key';
  const shown = candidates.slice(0, SHOWN_CANDIDATES).map(describeKey).join('; ');
  const more = candidates.length > SHOWN_CANDIDATES ? `; and ${candidates.length - SHOWN_CANDIDATES} more` : '';
  return `a row with one of the keys it inserted in one statement (${shown}${more})`;
}

/** `id = "a", n = 1` */
function describeKey(key: RowKeyValues): string {
  return Object.entries(key)
    .map(([column, value]) => `${column} = ${typeof value === 'bigint' ? String(value) : JSON.stringify(value)}`)
    .join(', ');
}
