import type { JsonObject, JsonValue } from './json.js';
import type { EventRecord } from './event-record.js';

/**
 * Lifts the payload of one event type from schema version `fromVersion` to `fromVersion + 1`.
 * It receives the JSON payload and the stored record (for values taken from metadata) and
 * returns the next version's JSON payload.
 *
 * @example
 * ```ts
 * const addCurrency: Upcaster = {
 *   eventType: 'AccountOpened',
 *   fromVersion: 1,
 *   upcast: (data) => ({ ...(data as JsonObject), currency: 'EUR' }),
 * };
 * ```
 */
export interface Upcaster {
  readonly eventType: string;
  readonly fromVersion: number;
  upcast(data: JsonValue, record: EventRecord): JsonValue;
}

/** Typed helper to define an upcaster whose input and output shapes the compiler checks. */
export function defineUpcaster<TFrom extends JsonValue | JsonObject, TTo extends JsonValue | JsonObject>(spec: {
  eventType: string;
  fromVersion: number;
  upcast: (data: TFrom, record: EventRecord) => TTo;
}): Upcaster {
  return { eventType: spec.eventType, fromVersion: spec.fromVersion, upcast: spec.upcast as Upcaster['upcast'] };
}

/**
 * One step of an event's upcaster chain, typed by the payload shapes of the two versions (the
 * generated `registry.ts` lists its steps with it). The shapes are the stored JSON types, which may
 * have optional fields, so they are not constrained to {@link JsonValue}; decoding validates the
 * payload the chain ends with against the event's schema.
 *
 * @example
 * ```ts
 * EventRegistry.create({ events, upcasters: [upcaster('AccountOpened', 1, accountOpenedV1ToV2)] });
 * ```
 */
export function upcaster<From, To>(
  eventType: string,
  fromVersion: number,
  upcast: (data: From, record: EventRecord) => To,
): Upcaster {
  return { eventType, fromVersion, upcast: upcast as unknown as Upcaster['upcast'] };
}
