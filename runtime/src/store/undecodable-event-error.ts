import { EventsmithError } from '../errors.js';
import { decodeRecordAt } from '../events/decode-record.js';
import type { EventRecord } from '../events/event-record.js';
import type { EventRegistry } from '../events/event-registry.js';
import type { Position } from './position.js';

/**
 * `readAll` reached a stored event it cannot decode: its type is unknown to the registry, an
 * upcaster threw, or the upcast payload failed validation. The feed stops at that event; the
 * error carries where it is and the event in stored form, so a reader can park it and resume
 * with `readAll({ after: error.position })`. `cause` is the registry's error.
 *
 * @example
 * ```ts
 * try {
 *   for await (const stored of store.readAll({ after })) after = stored.position;
 * } catch (error) {
 *   if (!(error instanceof UndecodableEventError)) throw error;
 *   await park(error.record, error.reason);
 *   after = error.position; // skip it
 * }
 * ```
 */
export class UndecodableEventError extends EventsmithError {
  /** Why decoding failed: the message of `cause`. */
  readonly reason: string;

  constructor(
    readonly position: Position,
    readonly streamId: string,
    readonly streamVersion: number,
    readonly storedAt: Date,
    /** The event exactly as stored, before any upcasting. */
    readonly record: EventRecord,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      'STORE.UNDECODABLE_EVENT',
      `Cannot decode stored event ${record.eventType} v${record.eventVersion} (id ${record.eventId}) at version ${streamVersion} ` +
        `of stream "${streamId}", position ${position.toString()}: ${reason.replace(/\.?$/, '.')} Register the event type or fix its upcaster; ` +
        `to skip it, read on after error.position.`,
      { cause },
    );
    this.reason = reason;
  }

  get eventId(): string {
    return this.record.eventId;
  }
}

/** Where a feed event sits, for {@link decodeFeedEvent}. */
export interface FeedEventLocation {
  readonly position: Position;
  readonly streamId: string;
  readonly streamVersion: number;
  readonly storedAt: Date;
}

/**
 * Decodes a record read by `readAll`, turning any decoding failure into an
 * {@link UndecodableEventError} at `location`. For store adapters.
 *
 * @example
 * ```ts
 * const event = decodeFeedEvent(registry, record, { position, streamId, streamVersion, storedAt });
 * ```
 */
export function decodeFeedEvent(
  registry: EventRegistry,
  record: EventRecord,
  location: FeedEventLocation,
  /** The record was just parsed for this read and nothing else holds it: decode without copying. */
  owned = false,
  /** The record's `occurredAt` as epoch milliseconds, when the store has it already (not parsed again). */
  occurredAt?: number,
) {
  try {
    if (occurredAt !== undefined) return decodeRecordAt(registry, record, occurredAt, owned);
    return owned ? registry.decodeOwned(record) : registry.decode(record);
  } catch (error) {
    throw new UndecodableEventError(
      location.position,
      location.streamId,
      location.streamVersion,
      location.storedAt,
      record,
      error,
    );
  }
}
