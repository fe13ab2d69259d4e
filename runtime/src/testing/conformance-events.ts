import { z } from 'zod';
import { defineEvent } from '../events/domain-event.js';
import { EventRegistry } from '../events/event-registry.js';
import { fields } from '../events/field-types.js';
import type { JsonObject } from '../events/json.js';
import { defineUpcaster } from '../events/upcaster.js';

/**
 * The events the store conformance suite writes. An adapter under test must build its store with
 * {@link conformanceRegistry}, which holds them together with their upcasters and aliases.
 *
 * @example
 * ```ts
 * storeConformanceSuite('SqliteEventStore', async () => ({
 *   store: await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry }),
 * }));
 * ```
 */
export const CONFORMANCE_AGGREGATE_TYPE = 'Conformance';
export const CONFORMANCE_OTHER_AGGREGATE_TYPE = 'ConformanceOther';

/** A small event; most of the suite uses it. */
export class ConformanceNoted extends defineEvent({
  type: 'ConformanceNoted',
  aggregateType: CONFORMANCE_AGGREGATE_TYPE,
  schema: z.object({ text: z.string(), n: z.number().int() }),
}) {}

/** Carries every field type whose JSON round trip is easy to get wrong. */
export class ConformanceValued extends defineEvent({
  type: 'ConformanceValued',
  aggregateType: CONFORMANCE_AGGREGATE_TYPE,
  schema: z.object({
    amount: fields.decimal(),
    at: fields.datetime(),
    day: fields.date(),
    big: fields.bigint(),
    ratio: fields.number(),
    text: z.string(),
    tags: z.array(z.string()),
    nested: z.object({ flag: z.boolean(), none: z.null(), list: z.array(z.number()) }),
  }),
}) {}

/** Carries any JSON value, for the cases on how deep a payload may nest. */
export class ConformanceTree extends defineEvent({
  type: 'ConformanceTree',
  aggregateType: CONFORMANCE_AGGREGATE_TYPE,
  schema: z.object({ value: z.unknown() }),
}) {}

/** An event of a second aggregate type, for the `aggregateTypes` filter. */
export class ConformanceOtherHappened extends defineEvent({
  type: 'ConformanceOtherHappened',
  aggregateType: CONFORMANCE_OTHER_AGGREGATE_TYPE,
  schema: z.object({ n: z.number().int() }),
}) {}

/** Current version 3 of a versioned event: v1 `{amount}` → v2 `{amountCents}` → v3 `{amountCents, currency}`. */
export class ConformanceVersioned extends defineEvent({
  type: 'ConformanceVersioned',
  version: 3,
  aggregateType: CONFORMANCE_AGGREGATE_TYPE,
  schema: z.object({ amountCents: z.number().int(), currency: z.string() }),
}) {}

/**
 * Version 1 of {@link ConformanceVersioned}, as old code wrote it. Not in the registry: the suite
 * appends it to put an old-version record in the store, then reads it back at version 3.
 */
export class ConformanceVersionedV1 extends defineEvent({
  type: 'ConformanceVersioned',
  version: 1,
  aggregateType: CONFORMANCE_AGGREGATE_TYPE,
  schema: z.object({ amount: z.number() }),
}) {}

/** The current name of a renamed event type. */
export class ConformanceRenamed extends defineEvent({
  type: 'ConformanceRenamed',
  aggregateType: CONFORMANCE_AGGREGATE_TYPE,
  schema: z.object({ label: z.string() }),
}) {}

/** The same event under its old type name, as old code wrote it. The registry aliases it. */
export class ConformanceLegacyName extends defineEvent({
  type: 'ConformanceLegacyName',
  aggregateType: CONFORMANCE_AGGREGATE_TYPE,
  schema: z.object({ label: z.string() }),
}) {}

export const conformanceUpcasters = [
  defineUpcaster<{ amount: number }, { amountCents: number }>({
    eventType: 'ConformanceVersioned',
    fromVersion: 1,
    upcast: (data) => ({ amountCents: Math.round(data.amount * 100) }),
  }),
  defineUpcaster<JsonObject, JsonObject>({
    eventType: 'ConformanceVersioned',
    fromVersion: 2,
    upcast: (data) => ({ ...data, currency: 'EUR' }),
  }),
];

/** The registry every store under the conformance suite must be built with. */
export const conformanceRegistry: EventRegistry = EventRegistry.create({
  events: [
    ConformanceNoted,
    ConformanceValued,
    ConformanceOtherHappened,
    ConformanceVersioned,
    ConformanceRenamed,
    ConformanceTree,
  ],
  upcasters: conformanceUpcasters,
  aliases: { ConformanceLegacyName: 'ConformanceRenamed' },
});
