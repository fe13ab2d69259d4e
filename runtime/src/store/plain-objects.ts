import type { DomainEvent } from '../events/domain-event.js';
import type { StoredEvent } from './event-store.js';
import type { Position } from './position.js';

/*
 * Plain objects of the read path built by `new` of a constructor function whose prototype is
 * `Object.prototype`, not by an object literal: the same own properties in the same order, the
 * same prototype and `constructor` (`Object`), so nobody can tell them from the literals; but
 * without the literal's allocation site. V8 decides once per process, per allocation site,
 * whether the site allocates in the old generation, from how many of its objects one garbage
 * collection finds alive. In some processes a mark-compact finishing incremental marking during
 * the first reads found the ~990 objects each per-event literal had made since marking began all
 * alive (`--trace-pretenuring-statistics`: four sites `(989, 989, 1.000000) undecided => tenure`:
 * these two, `decodeEvent`'s parts and PostgreSQL's row envelope), and from then on every one went
 * to the old generation, dead after its event yet holding the young event, payload and position
 * through every scavenge (PostgreSQL readStream of 1,000 events: 5.6-6.2 µs of client CPU per
 * event instead of 3.2-3.9, in 4 of 45 processes). Fixing two of the four sites was not enough
 * (1 of 20 processes still slow, two sites tenured); with all four, 0 of 25.
 * Objects from `new` have no allocation site.
 */

interface StoredEventFields {
  event: DomainEvent;
  streamId: string;
  streamVersion: number;
  position: Position;
  storedAt: Date;
}

const StoredEventObject = function (
  this: StoredEventFields,
  event: DomainEvent,
  streamId: string,
  streamVersion: number,
  position: Position,
  storedAt: Date,
) {
  this.event = event;
  this.streamId = streamId;
  this.streamVersion = streamVersion;
  this.position = position;
  this.storedAt = storedAt;
} as unknown as new (
  event: DomainEvent,
  streamId: string,
  streamVersion: number,
  position: Position,
  storedAt: Date,
) => StoredEvent;
StoredEventObject.prototype = Object.prototype;

/** `{ event, streamId, streamVersion, position, storedAt }`, as a plain object without an allocation site. */
export function storedEvent(
  event: DomainEvent,
  streamId: string,
  streamVersion: number,
  position: Position,
  storedAt: Date,
): StoredEvent {
  return new StoredEventObject(event, streamId, streamVersion, position, storedAt);
}

const NextResult = function (this: { value: unknown; done: boolean }, value: unknown) {
  this.value = value;
  this.done = false;
} as unknown as new <T>(value: T) => IteratorYieldResult<T>;
NextResult.prototype = Object.prototype;

/** `{ value, done: false }`, as a plain object without an allocation site. */
export function nextResult<T>(value: T): IteratorYieldResult<T> {
  return new NextResult(value);
}
