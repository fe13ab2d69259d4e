import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventValidationError, InvalidArgumentError } from '../errors.js';
import { defineEvent, type DomainEvent } from './domain-event.js';
import { toEventRecord, type EventRecord } from './event-record.js';
import { EventRegistry } from './event-registry.js';
import { fields } from './field-types.js';
import { ImmutableDate } from './immutable.js';
import type { JsonObject } from './json.js';

class Shipped extends defineEvent({
  type: 'Shipped',
  version: 2,
  schema: z.object({
    at: fields.datetime(),
    lines: z.array(z.object({ sku: z.string(), qty: z.number().int() })),
    address: z.object({ city: z.string(), geo: z.object({ lat: z.number() }) }),
    extra: z.unknown(),
  }),
}) {}

const registry = EventRegistry.create({
  events: [Shipped],
  upcasters: [
    {
      eventType: 'Shipped',
      fromVersion: 1,
      upcast: (data) => ({ ...(data as JsonObject), address: { city: 'Lyon', geo: { lat: 45.7 } } }),
    },
  ],
});

const payload = {
  at: new Date('2024-03-01T10:00:00.000Z'),
  lines: [{ sku: 'a', qty: 2 }],
  address: { city: 'Oslo', geo: { lat: 59.9 } },
  extra: { note: ['x'] },
};
const text = JSON.stringify(
  toEventRecord(
    new Shipped(payload, {
      aggregateId: 'o-1',
      aggregateVersion: 4,
      tenantId: 't',
      actorId: 'u',
      metadata: { ip: '10.0.0.1', tags: ['a'] },
    }),
  ),
);
const parsed = () => JSON.parse(text) as EventRecord;

function expectDeeplyImmutable(event: DomainEvent): void {
  const data = event.data as typeof payload;
  expect(Object.isFrozen(event)).toBe(true);
  expect(Object.isFrozen(data)).toBe(true);
  expect(Object.isFrozen(data.lines)).toBe(true);
  expect(Object.isFrozen(data.lines[0])).toBe(true);
  expect(Object.isFrozen(data.address.geo)).toBe(true);
  expect(Object.isFrozen((data.extra as { note: string[] }).note)).toBe(true);
  expect(Object.isFrozen(event.metadata)).toBe(true);
  expect(Object.isFrozen(event.metadata['tags'])).toBe(true);
  expect(data.at).toBeInstanceOf(ImmutableDate);
  expect(() => data.at.setTime(0)).toThrow(TypeError);
  expect(event.occurredAt).toBeInstanceOf(ImmutableDate);
  expect(() => event.occurredAt.setFullYear(2000)).toThrow(TypeError);
}

describe.each([
  ['decode', (record: EventRecord) => registry.decode(record)],
  ['decodeOwned', (record: EventRecord) => registry.decodeOwned(record)],
] as const)('EventRegistry.%s', (_name, decode) => {
  it('rebuilds the event the record was written from, deeply immutable', () => {
    const event = decode(parsed());
    expect(event).toBeInstanceOf(Shipped);
    expect(event.data).toEqual(payload);
    expect(event.metadata).toEqual({ ip: '10.0.0.1', tags: ['a'] });
    expect(event.isExplicit('tenantId')).toBe(true);
    expect(event.isExplicit('causationId')).toBe(false);
    expectDeeplyImmutable(event);
  });

  it('copies with envelope changes, keeping payload, metadata and explicit fields', () => {
    const event = decode(parsed());
    const copy = event.with({ aggregateVersion: 9, causationId: 'c-1' });
    expect(copy).toBeInstanceOf(Shipped);
    expect(copy.aggregateVersion).toBe(9);
    expect(copy.data).toBe(event.data);
    expect(copy.metadata).toEqual(event.metadata);
    expect(copy.isExplicit('tenantId')).toBe(true);
    expect(copy.isExplicit('causationId')).toBe(true);
    expect(event.isExplicit('causationId')).toBe(false);
    expectDeeplyImmutable(copy);
    expect(Object.getOwnPropertySymbols(copy)).toEqual([]);
  });

  it('upcasts before validating and freezes what the upcaster returned', () => {
    const record = { ...parsed(), eventVersion: 1, data: { at: '2024-01-01T00:00:00Z', lines: [], extra: null } };
    const event = decode(record);
    expect(event.eventVersion).toBe(2);
    expect((event.data as typeof payload).address).toEqual({ city: 'Lyon', geo: { lat: 45.7 } });
    expect(Object.isFrozen((event.data as typeof payload).address.geo)).toBe(true);
  });

  it('reports invalid payloads as EventValidationError, leaving the record unfrozen', () => {
    const record = {
      ...parsed(),
      data: {
        at: 'yesterday',
        lines: [{ sku: 'a', qty: 1.5 }],
        address: { city: 'Oslo', geo: { lat: 1 } },
        extra: null,
      },
    };
    const error = (() => {
      try {
        decode(record);
      } catch (e) {
        return e as EventValidationError;
      }
    })();
    expect(error).toBeInstanceOf(EventValidationError);
    expect(error!.issues.map((issue) => issue.path)).toEqual(['at', 'lines.0.qty']);
    expect(Object.isFrozen(record.data)).toBe(false);
  });

  it('rejects an unreadable occurredAt', () => {
    expect(() => decode({ ...parsed(), occurredAt: 'not a date' })).toThrow(InvalidArgumentError);
  });

  it('copies metadata that is not plain JSON, or rejects it', () => {
    const withDate = { ...parsed(), metadata: { at: new Date(0) } as unknown as JsonObject };
    expect(decode(withDate).metadata).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    expect(() => decode({ ...parsed(), metadata: { n: Number.NaN } })).toThrow(/metadata\.n/);
  });
});

describe('EventRegistry.decode', () => {
  it('neither freezes nor aliases the caller’s record', () => {
    const record = parsed();
    const event = decode(record);
    expect(Object.isFrozen(record.data)).toBe(false);
    expect(Object.isFrozen(record.metadata)).toBe(false);
    expect(event.metadata).not.toBe(record.metadata);
    (record.data as { extra: { note: string[] } }).extra.note.push('changed');
    expect((event.data as typeof payload).extra).toEqual({ note: ['x'] });
  });
  const decode = (record: EventRecord) => registry.decode(record);
});

describe('EventRegistry.decodeOwned', () => {
  it('takes over the record’s metadata instead of copying it', () => {
    const record = parsed();
    expect(registry.decodeOwned(record).metadata).toBe(record.metadata);
  });
});
