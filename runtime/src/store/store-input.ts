import { InvalidArgumentError, PositionForeignError } from '../errors.js';
import { DomainEvent } from '../events/domain-event.js';
import { toEventRecord, type EventRecordEnvelope } from '../events/event-record.js';
import type { EventRegistry } from '../events/event-registry.js';
import { idEndProblem, textProblem } from '../events/json.js';
import type { AppendOptions, ReadAllOptions, ReadStreamOptions } from './event-store.js';
import { assertExpectedVersion } from './expected-version.js';
import type { Position } from './position.js';

/**
 * What every store accepts from its callers, checked once at the API boundary with the same rules
 * for every adapter (memory included), so that input a test store takes is never refused by a
 * production one. The domain is documented in runtime/SERIALIZATION.md ("What a store accepts").
 */

/** The highest stream version a store keeps: PostgreSQL and MariaDB hold versions as 32-bit integers. */
export const MAX_STREAM_VERSION = 2_147_483_647;

/** The highest position value of a store whose positions are one 64-bit integer (SQLite, MariaDB, memory). */
export const MAX_POSITION_64 = 2n ** 63n - 1n;

/** A read of a stream, checked: versions clamped to the range a stream can have. */
export interface StreamRange {
  readonly from: number | undefined;
  readonly to: number | undefined;
  readonly direction: 'forward' | 'backward';
  readonly limit: number;
}

/** A `readAll` request, checked: where to start and how many events at most. */
export interface FeedRange {
  /** The position value to read after; 0n from the start. */
  readonly after: bigint;
  readonly limit: number;
}

/**
 * Throws {@link InvalidArgumentError} unless `value` is text a store can keep exactly: a string
 * with no NUL character (U+0000, which PostgreSQL cannot store) and no lone surrogate (half of a
 * UTF-16 pair, which is not Unicode and which UTF-8 databases replace with U+FFFD).
 */
export function checkText(what: string, value: unknown, nonEmpty = false): asserts value is string {
  if (typeof value !== 'string' || (nonEmpty && value.length === 0)) {
    throw new InvalidArgumentError(
      `The ${what} must be a ${nonEmpty ? 'non-empty ' : ''}string, got ${describeValue(value)}.`,
    );
  }
  const problem = textProblem(value);
  if (problem !== undefined)
    throw new InvalidArgumentError(`The ${what} ${JSON.stringify(value).slice(0, 80)} ${problem}.`);
}

/** {@link checkText} for an id the stores look events up by, which also must not end with a space ({@link idEndProblem}). */
export function checkIdText(what: string, value: unknown, nonEmpty = false): asserts value is string {
  checkText(what, value, nonEmpty);
  const problem = idEndProblem(value);
  if (problem !== undefined)
    throw new InvalidArgumentError(`The ${what} ${JSON.stringify(value).slice(0, 80)} ${problem}.`);
}

/**
 * Checks the arguments of `appendToStream` before any is used, the same on every store: a
 * non-empty stream id, a non-empty array of events built by classes made with `defineEvent`, and
 * options with a valid `expectedVersion` (they are required: there is no default).
 */
export function checkAppendCall(streamId: string, events: readonly DomainEvent[], options: AppendOptions): void {
  checkIdText('stream id', streamId, true);
  if (!Array.isArray(events)) {
    throw new InvalidArgumentError(
      `${appendCall(streamId)}: events must be an array of events, got ${describeValue(events)}.`,
    );
  }
  if (events.length === 0) throw new InvalidArgumentError(`${appendCall(streamId)} needs at least one event.`);
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError(
      `${appendCall(streamId)} needs options with an expectedVersion, got ${describeValue(options)}. ` +
        `Pass { expectedVersion: 'any' } (no check), 'no_stream', 'stream_exists' or the stream's current version (an integer ≥ 0).`,
    );
  }
  assertExpectedVersion(options.expectedVersion);
  for (let i = 0; i < events.length; i++) {
    const event: unknown = events[i];
    if (!(event instanceof DomainEvent)) {
      throw new InvalidArgumentError(
        `${appendCall(streamId)}: event ${i + 1} of the batch is ${describeValue(event)}, not an event. ` +
          `Events must be instances of classes made by defineEvent, e.g. new MoneyDeposited({ amount: '5.00' }).`,
      );
    }
  }
}

/**
 * How an append's messages name the call. A function, not a closure made per append: most appends
 * pass every check, and a closure cost each of them an allocation (and, where the code is
 * transpiled with esbuild's `keepNames`, as `tsx` runs it, a `defineProperty` of its name).
 */
function appendCall(streamId: string): string {
  return `appendToStream(${JSON.stringify(streamId)})`;
}

/** Checks the stream id and every id of an append's records (see {@link checkText}). */
export function checkAppendText(streamId: string, records: readonly EventRecordEnvelope[]): void {
  checkIdText('stream id', streamId, true);
  for (const record of records) {
    checkIdText('event id', record.eventId, true);
    checkText('aggregate id', record.aggregateId);
    checkText('aggregate type', record.aggregateType);
    // Most events are their own correlation (the default): the same text, checked just above.
    if (record.correlationId !== record.eventId) checkText('correlation id', record.correlationId);
    if (record.tenantId !== null) checkIdText('tenant id', record.tenantId);
    if (record.actorId !== null) checkText('actor id', record.actorId);
    if (record.causationId !== null) checkText('causation id', record.causationId);
  }
}

/**
 * Checks that the store's registry can read `event` back, before anything is written: its type
 * must be registered and, when the event claims the registered version (or a later one) but is not
 * of the registered class (a stale copy of the class, whose schema the registered one refuses; a
 * version the registry does not know), it is decoded once through the registry as a read would
 * decode it. Otherwise the append would store an event that every later read of its stream fails
 * on, with nothing in the code to fix. An older version is left to the upcasters on read, as an
 * event written by older code is. An event of the registered class (nearly every event) costs one
 * lookup.
 */
export function checkReadable(registry: EventRegistry, event: DomainEvent): void {
  const registered = registry.get(event.eventType); // unknown types fail here
  if (event.constructor === registered || event.eventVersion < registered.eventVersion) return;
  const record = toEventRecord(event);
  try {
    registry.decode(record);
  } catch (error) {
    throw new InvalidArgumentError(
      `Event ${event.eventId} (${event.eventType} v${event.eventVersion}) was not appended: this store's event registry ` +
        `could not read it back (${(error as Error).message}). Build it with the class registered for ` +
        `"${registered.eventType}" (${registered.name}, v${registered.eventVersion}), or register the class you built it with.`,
      { cause: error },
    );
  }
}

/** Checks `readStream` options; `from` and `to` beyond any version a stream can have are clamped to it. */
export function streamRange(streamId: string, options: ReadStreamOptions): StreamRange {
  checkIdText('stream id', streamId);
  const direction = options.direction ?? 'forward';
  if (direction !== 'forward' && direction !== 'backward') {
    throw new InvalidArgumentError(`direction must be 'forward' or 'backward', got ${describeValue(direction)}.`);
  }
  return {
    from: version('from', options.from),
    to: version('to', options.to),
    direction,
    limit: readLimit(options.limit),
  };
}

/**
 * Checks `readAll` options: `after` must be a position of this store (`storeId`) that it could
 * have handed out (`validPosition`), filters lists of text, `limit` an integer ≥ 0.
 */
export function feedRange(
  storeId: string,
  options: ReadAllOptions,
  validPosition: (value: bigint) => boolean = (value) => value <= MAX_POSITION_64,
): FeedRange {
  for (const name of ['eventTypes', 'aggregateTypes'] as const) {
    const list = options[name];
    if (list === undefined) continue;
    if (!Array.isArray(list))
      throw new InvalidArgumentError(`readAll: ${name} must be an array of strings, got ${describeValue(list)}.`);
    for (const item of list) checkText(`${name} entry`, item);
  }
  if (options.tenantId !== undefined) checkIdText('tenant id of readAll', options.tenantId);
  return {
    after: options.after == null ? 0n : ownPosition(storeId, options.after, validPosition),
    limit: readLimit(options.limit),
  };
}

/** Validates a caller's `limit` (absent means no limit). */
export function readLimit(limit: number | undefined): number {
  if (limit === undefined) return Infinity;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    throw new InvalidArgumentError(`limit must be an integer ≥ 0, got ${describeValue(limit)}.`);
  }
  return limit;
}

function ownPosition(storeId: string, position: Position, validPosition: (value: bigint) => boolean): bigint {
  const { storeId: owner, value } = checkPosition('readAll: after', storeId, position, ' (or null)');
  if (value < 0n || !validPosition(value)) {
    throw new InvalidArgumentError(
      `readAll: position ${owner}@${value} is not one this store hands out. Resume from a position the store returned (or null to start).`,
    );
  }
  return value;
}

/**
 * Throws unless `position` is a {@link Position} of the store `storeId`: {@link InvalidArgumentError}
 * for anything else (its text form included, which `Position.parse` turns back into one), and
 * {@link PositionForeignError} for another store's. `what` names the argument in the message.
 */
export function checkPosition(what: string, storeId: string, position: unknown, alternatives = ''): Position {
  const { storeId: owner, value } = (position ?? {}) as Partial<Position>;
  if (typeof owner !== 'string' || typeof value !== 'bigint') {
    const hint =
      typeof position === 'string'
        ? 'Turn the text form of a position into a Position with Position.parse(text).'
        : 'Pass a Position this store returned (from an append, a command or readAll), or Position.parse(text) of one.';
    throw new InvalidArgumentError(
      `${what} must be a Position${alternatives}, got ${describeValue(position)}. ${hint}`,
    );
  }
  if (owner !== storeId) throw new PositionForeignError(storeId, owner);
  return position as Position;
}

function version(name: 'from' | 'to', value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(
      `readStream: ${name} must be a stream version (an integer ≥ 0), got ${describeValue(value)}.`,
    );
  }
  return Math.min(value, MAX_STREAM_VERSION);
}

/** A short description of a caller's value for an error message: the value if small, else its kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return 'an array';
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name;
  return name === undefined || name === 'Object' ? 'a plain object' : `a ${name}`;
}
