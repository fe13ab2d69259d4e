import { storeFailureAdvice, type StoreFailureReason } from './store-failure-advice.js';

/**
 * Every error the runtime throws extends {@link EventsmithError}. Each carries a stable `code`
 * and the data that explains it as fields, so callers can branch on `instanceof` or `code`
 * without parsing messages.
 *
 * @example
 * ```ts
 * try {
 *   await repository.save(account);
 * } catch (error) {
 *   if (error instanceof ConcurrencyError) console.log(error.streamId, error.expected, error.actual);
 * }
 * ```
 */
export class EventsmithError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** One failing field of an event payload. `path` is dotted, e.g. `items.0.price`. */
export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

/** A payload did not match its event's schema. */
export class EventValidationError extends EventsmithError {
  constructor(
    readonly eventType: string,
    readonly eventVersion: number,
    readonly issues: readonly FieldIssue[],
  ) {
    super(
      'EVENT.INVALID_PAYLOAD',
      `Invalid payload for event ${eventType} v${eventVersion}: ` +
        issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; '),
    );
  }
}

/** Two event classes were registered under one type name. */
export class DuplicateEventTypeError extends EventsmithError {
  constructor(readonly eventType: string) {
    super(
      'REGISTRY.DUPLICATE_TYPE',
      `Event type "${eventType}" is already registered. Each event type name maps to exactly one class; ` +
        `rename one of them or register it once.`,
    );
  }
}

/** A record names an event type the registry does not know. */
export class EventTypeNotFoundError extends EventsmithError {
  constructor(
    readonly eventType: string,
    readonly knownTypes: readonly string[],
  ) {
    super(
      'REGISTRY.UNKNOWN_TYPE',
      `Unknown event type "${eventType}". Known types: ${knownTypes.length ? knownTypes.join(', ') : '(none)'}. ` +
        `Register the event class, or add an alias if the type was renamed.`,
    );
  }
}

/** The upcaster chain of an event type has a gap, a duplicate or an out-of-range step. */
export class UpcasterChainError extends EventsmithError {
  constructor(
    readonly eventType: string,
    message: string,
  ) {
    super('REGISTRY.UPCASTER_CHAIN', message);
  }
}

/** A stored event has a newer schema version than the code reading it knows. */
export class EventVersionTooNewError extends EventsmithError {
  constructor(
    readonly eventType: string,
    readonly storedVersion: number,
    readonly currentVersion: number,
  ) {
    super(
      'REGISTRY.VERSION_TOO_NEW',
      `Stored event ${eventType} has schema version ${storedVersion}, but this code only knows up to v${currentVersion}. ` +
        `Deploy the newer event definition before reading these events.`,
    );
  }
}

/** A value cannot be represented in JSON without loss (NaN, Infinity, a function, a Map…). */
export class SerializationError extends EventsmithError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super('SERIALIZATION.UNSUPPORTED_VALUE', `Cannot serialize ${path || '(root)'}: ${reason}`);
  }
}

export type ExpectedVersionDescription = 'any' | 'no_stream' | 'stream_exists' | number;

/** The stream's version did not match what the writer expected. */
export class ConcurrencyError extends EventsmithError {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedVersionDescription,
    readonly actual: number,
  ) {
    super(
      'STORE.CONCURRENCY',
      `Concurrency conflict on stream "${streamId}": expected version ${String(expected)}, actual ${actual}. ` +
        `Reload the aggregate and retry the command.`,
    );
  }
}

/**
 * An event id of the batch is already stored (`where: 'store'`), or appears twice in the batch
 * itself (`where: 'batch'`); nothing from the batch was written.
 */
export class DuplicateEventError extends EventsmithError {
  constructor(
    readonly eventId: string,
    readonly where: 'store' | 'batch' = 'store',
  ) {
    super(
      'STORE.DUPLICATE_EVENT',
      where === 'batch'
        ? `Event ${eventId} appears twice in this append; the whole batch was rejected. ` +
            `Each event of a batch needs its own id: pass each event once, and give a copy made with with() its own eventId.`
        : `Event ${eventId} is already stored; the whole batch was rejected.`,
    );
  }
}

/** A stream that must exist does not. */
export class StreamNotFoundError extends EventsmithError {
  constructor(readonly streamId: string) {
    super('STORE.STREAM_NOT_FOUND', `Stream "${streamId}" does not exist.`);
  }
}

export type { StoreFailureReason } from './store-failure-advice.js';

/**
 * The store (database) cannot be used: `reason` says why, `target` where it is (password
 * redacted), `retryable` whether trying again later can help, and `cause` is the driver's error
 * with any secret removed. The message never contains credentials.
 */
export class EventStoreUnavailableError extends EventsmithError {
  readonly reason: StoreFailureReason;
  readonly retryable: boolean;
  constructor(
    readonly target: string,
    options?: { cause?: unknown; reason?: StoreFailureReason; detail?: string },
  ) {
    const reason = options?.reason ?? 'unreachable';
    super(
      reason === 'busy' ? 'STORE.BUSY' : 'STORE.UNAVAILABLE',
      `Event store at ${target} ${storeFailureAdvice(reason)}${options?.detail ? ` (${options.detail})` : ''}`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.reason = reason;
    this.retryable = reason === 'unreachable' || reason === 'busy' || reason === 'timeout';
  }
}

/**
 * A write waited for the store's lock (SQLite's busy timeout) and gave up: another process or
 * connection was writing. Nothing was written; the operation can be retried as it is.
 */
export class EventStoreBusyError extends EventStoreUnavailableError {
  constructor(
    target: string,
    readonly waitedMs: number,
    options?: { cause?: unknown },
  ) {
    super(target, {
      ...options,
      reason: 'busy',
      detail: `waited ${waitedMs} ms; raise busyTimeoutMs if writers often hold the lock this long`,
    });
  }
}

/**
 * The store was used after `close()` began (an append, a read, the next page of an iteration, a
 * transaction): nothing was written or read. Calls accepted before `close()` are not refused:
 * `close()` waits for them, then shuts the connections.
 */
export class EventStoreClosedError extends EventsmithError {
  constructor(readonly storeId: string) {
    super(
      'STORE.CLOSED',
      `Event store "${storeId}" is closed; nothing was written or read. Open a new store instead of reusing a closed one.`,
    );
  }
}

/** Arguments to a store call were invalid (for example an empty batch). */
export class InvalidArgumentError extends EventsmithError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ARGUMENT.INVALID', message, options);
  }
}

/** A tenant-scoped store or repository was asked to touch another tenant's data. */
export class TenantMismatchError extends EventsmithError {
  constructor(
    readonly expectedTenantId: string,
    readonly actualTenantId: string | undefined,
    readonly eventIds: readonly string[] = [],
    /** Replaces the generic message: what was refused and how to fix it. */
    message?: string,
  ) {
    super(
      'TENANCY.MISMATCH',
      message ??
        `Tenant mismatch: this view belongs to tenant "${expectedTenantId}", but got "${actualTenantId ?? '(none)'}"` +
          (eventIds.length ? ` for events ${eventIds.join(', ')}` : '') +
          '.',
    );
  }
}

/**
 * A position of another store was given where one of this store (`expectedStoreId`) is needed;
 * positions of two stores cannot be compared.
 */
export class PositionForeignError extends EventsmithError {
  constructor(
    readonly expectedStoreId: string,
    readonly actualStoreId: string,
  ) {
    super(
      'POSITION.FOREIGN',
      `Position belongs to store "${actualStoreId}", not "${expectedStoreId}". ` +
        `Pass a position that store "${expectedStoreId}" returned (from an append, a command or readAll). ` +
        `If "${actualStoreId}" is this database's own id from before it was copied, renamed or restored, and its ` +
        `checkpoints carry it: a SQL store keeps its id in the table eventsmith_store_identity (migration ` +
        `0005_store_identity, which keeps the id the checkpoints carry); run \`eventsmith migrate --db <url>\` if ` +
        `that migration has not run, grant the store's role SELECT on that table if it cannot read it, or make the ` +
        `database keep that id: \`eventsmith store-id set ${shellWord(actualStoreId)} --db <url>\`.`,
    );
  }
}

/**
 * A SQL store was opened with a `storeId` option other than the id its database keeps (table
 * `eventsmith_store_identity`, migration 0005). Positions, checkpoints and dead letters written
 * under one id are another store's to the other, so the store does not open.
 */
export class StoreIdMismatchError extends EventsmithError {
  constructor(
    readonly target: string,
    readonly optionStoreId: string,
    readonly storedStoreId: string,
  ) {
    super(
      'STORE.ID_MISMATCH',
      `Event store at ${target} keeps the store id "${storedStoreId}" (table eventsmith_store_identity), but ` +
        `was opened with storeId: "${optionStoreId}"; the positions in its checkpoints and dead letters carry ` +
        `one id, and would be another store's under the other. Leave the storeId option out to open it as ` +
        `"${storedStoreId}" (the database keeps its id when copied, renamed or restored). If its checkpoints carry ` +
        `"${optionStoreId}" instead, make the database keep that id: \`eventsmith store-id set ` +
        `${shellWord(optionStoreId)} --db <url>\` (\`eventsmith store-id --db <url>\` shows which ids its ` +
        `checkpoints and dead letters carry).`,
    );
  }
}

/**
 * A store id as one word of a shell command line: as it is when it needs no quoting, else in
 * single quotes.
 */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * `setStoreId` (\`eventsmith store-id set\`) refused to change the id a SQL database keeps, and
 * changed nothing. `reason` says why:
 * - `'positions'`: checkpoints or dead letters carry the id it keeps now (`positions` counts them
 *   by table and id); under the new id they would be another store's, and every subscription
 *   would fail with `PositionForeignError`. Pass `rewritePositions` (\`--rewrite-positions\`) to
 *   move them to the new id in the same transaction.
 * - `'leases'`: `liveLeases` subscriptions hold a lease, so an app (or a rebuild) runs and would
 *   go on writing positions under the old id.
 */
export class StoreIdChangeRefusedError extends EventsmithError {
  constructor(
    readonly reason: 'positions' | 'leases',
    readonly storedStoreId: string,
    readonly newStoreId: string,
    readonly positions: readonly {
      readonly table: 'checkpoints' | 'deadLetters';
      readonly storeId: string;
      readonly count: number;
    }[],
    readonly liveLeases: number,
  ) {
    const own = positions.filter((p) => p.storeId === storedStoreId);
    const total = (table: 'checkpoints' | 'deadLetters') =>
      own.filter((p) => p.table === table).reduce((sum, p) => sum + p.count, 0);
    const [checkpoints, deadLetters] = [total('checkpoints'), total('deadLetters')];
    const counted = [
      ...(checkpoints ? [`${checkpoints} checkpoint${checkpoints === 1 ? '' : 's'}`] : []),
      ...(deadLetters ? [`${deadLetters} dead letter${deadLetters === 1 ? '' : 's'}`] : []),
    ];
    super(
      'STORE.ID_CHANGE_REFUSED',
      reason === 'leases'
        ? `The database keeps the store id "${storedStoreId}", and ${liveLeases} subscription lease${liveLeases === 1 ? ' is' : 's are'} ` +
            `held: an app or a rebuild runs on it, and would go on writing positions under "${storedStoreId}". ` +
            `Nothing was changed. Stop the apps first (a lease expires at most 15 s after its holder stops), then try again.`
        : `The database keeps the store id "${storedStoreId}", and ${counted.join(' and ')} ` +
            `${checkpoints + deadLetters === 1 ? 'carries' : 'carry'} it; under "${newStoreId}" their positions would be ` +
            `another store's, and every subscription would fail with PositionForeignError. Nothing was changed. To rename ` +
            `the store with its records, pass rewritePositions: true (\`eventsmith store-id set --rewrite-positions\`): ` +
            `they then carry "${newStoreId}", in the same transaction.`,
    );
  }
}

/** A serialized position could not be parsed. */
export class PositionDecodeError extends EventsmithError {
  constructor(readonly input: string) {
    super('POSITION.DECODE', `Cannot decode position "${input}". Expected "<storeId>@<integer>".`);
  }
}

/** No events exist for the aggregate. */
export class AggregateNotFoundError extends EventsmithError {
  constructor(
    readonly aggregateType: string,
    readonly aggregateId: string,
  ) {
    super('AGGREGATE.NOT_FOUND', `${aggregateType} "${aggregateId}" was not found.`);
  }
}

/** An event addressed to one aggregate was applied to another. */
export class AggregateMismatchError extends EventsmithError {
  constructor(
    readonly field: 'aggregateId' | 'aggregateType',
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      'AGGREGATE.MISMATCH',
      `Event has ${field} "${actual}", but this aggregate's is "${expected}". The state was left unchanged.`,
    );
  }
}

/** Replayed events are out of sequence for the aggregate. */
export class EventSequenceError extends EventsmithError {
  constructor(
    readonly aggregateId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(
      'AGGREGATE.SEQUENCE',
      `Aggregate "${aggregateId}" expected event version ${expectedVersion}, got ${actualVersion}.`,
    );
  }
}

/** An aggregate received an event it has no handler for. */
export class UnhandledEventError extends EventsmithError {
  constructor(
    readonly aggregateType: string,
    readonly eventType: string,
  ) {
    super(
      'AGGREGATE.UNHANDLED_EVENT',
      `${aggregateType} has no @handles(${eventType}) handler. Add one, or set "static unhandledEvents = 'ignore'".`,
    );
  }
}

/** Two handlers were declared for one event type on one class. */
export class DuplicateHandlerError extends EventsmithError {
  constructor(
    readonly className: string,
    readonly eventType: string,
  ) {
    super('AGGREGATE.DUPLICATE_HANDLER', `${className} declares two @handles(${eventType}) handlers; keep one.`);
  }
}

/**
 * A command did not run: its parameters were invalid ({@link CommandValidationError}) or the
 * domain refused it ({@link CommandRejectedError}). Catch this one type to handle both.
 *
 * @example
 * ```ts
 * try {
 *   await app.bankAccount.withdraw(id, { amount: '1000.00' });
 * } catch (error) {
 *   if (error instanceof CommandError) return { status: 400, body: error.message };
 *   throw error;
 * }
 * ```
 */
export class CommandError extends EventsmithError {}

/** A command was refused by the domain. */
export class CommandRejectedError extends CommandError {
  constructor(
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super('COMMAND.REJECTED', message);
  }
}

/**
 * A command's parameters do not match its schema; nothing was loaded or written. `issues` lists
 * every failing field with a dotted path (`lines.0.quantity`), as {@link EventValidationError} does.
 */
export class CommandValidationError extends CommandError {
  constructor(
    readonly aggregateType: string,
    readonly command: string,
    readonly issues: readonly FieldIssue[],
  ) {
    super(
      'COMMAND.INVALID',
      `Invalid parameters for ${aggregateType}.${command}: ` +
        issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; '),
    );
  }
}

/**
 * An adapter entry (`@eventsmith/runtime/sqlite`, `/postgres`, …) was imported, but the database or broker client
 * it drives is not installed. The drivers are optional peer dependencies: install the ones you use.
 */
export class DriverNotInstalledError extends EventsmithError {
  /** The command that installs the driver, e.g. `npm install better-sqlite3@^12.6.0`. */
  readonly fix: string;
  constructor(
    readonly driver: string,
    readonly versionRange: string,
    readonly entry: string,
    options?: { cause?: unknown },
  ) {
    const fix = `npm install ${driver}@${versionRange}`;
    super(
      'DRIVER.NOT_INSTALLED',
      `${entry} needs the "${driver}" package, which is not installed. Install it in your project: ${fix}`,
      options,
    );
    this.fix = fix;
  }
}
