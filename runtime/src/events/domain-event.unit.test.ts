import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EventValidationError, InvalidArgumentError, SerializationError } from '../errors.js';
import { defineEvent } from './domain-event.js';
import { toEventRecord } from './event-record.js';
import { fields } from './field-types.js';
import { ImmutableDate } from './immutable.js';

class OrderPlaced extends defineEvent({
  type: 'OrderPlaced',
  version: 2,
  aggregateType: 'Order',
  schema: z.object({
    customer: z.string().min(1),
    placedAt: fields.datetime(),
    lines: z.array(z.object({ sku: z.string(), price: fields.decimal(), quantity: fields.integer() })),
  }),
}) {}

const valid = () => ({
  customer: 'c1',
  placedAt: new Date('2024-05-01T10:00:00Z'),
  lines: [{ sku: 'A', price: '9.99', quantity: 2 }],
});

describe('DomainEvent', () => {
  it('carries its type, version, aggregate type, a v7 event id and defaults', () => {
    const before = Date.now();
    const event = new OrderPlaced(valid());
    expect(event.eventType).toBe('OrderPlaced');
    expect(event.eventVersion).toBe(2);
    expect(event.aggregateType).toBe('Order');
    expect(event.aggregateId).toBe('');
    expect(event.aggregateVersion).toBe(0);
    expect(event.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(event.correlationId).toBe(event.eventId);
    expect(event.causationId).toBeUndefined();
    expect(event.metadata).toEqual({});
    expect(event.occurredAt.getTime()).toBeGreaterThanOrEqual(before);
    expect(event.data.lines[0]!.price).toBe('9.99');
  });

  it('makes time-ordered event ids', () => {
    const ids = Array.from({ length: 50 }, () => new OrderPlaced(valid()).eventId);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(50);
  });

  it('defaults to version 1', () => {
    class Plain extends defineEvent({ type: 'Plain', schema: z.object({}) }) {}
    expect(new Plain({}).eventVersion).toBe(1);
    expect(Plain.eventVersion).toBe(1);
  });

  it('is deeply immutable: envelope, payload, metadata and dates', () => {
    const event = new OrderPlaced(valid(), { metadata: { tags: ['a'] } });
    expect(() => ((event as { eventId: string }).eventId = 'x')).toThrow(TypeError);
    expect(() => ((event.data as { customer: string }).customer = 'x')).toThrow(TypeError);
    expect(() => (event.data.lines as unknown as unknown[]).push({})).toThrow(TypeError);
    expect(() => (event.metadata['tags'] as string[]).push('b')).toThrow(TypeError);
    expect(() => event.occurredAt.setTime(0)).toThrow(TypeError);
    expect(() => event.data.placedAt.setFullYear(2000)).toThrow(TypeError);
    expect(event.occurredAt).toBeInstanceOf(Date);
    expect(event.data.placedAt.toISOString()).toBe('2024-05-01T10:00:00.000Z');
  });

  it("copies the caller's values instead of freezing or aliasing them", () => {
    const data = valid();
    const at = new Date('2024-01-01T00:00:00Z');
    const event = new OrderPlaced(data, { occurredAt: at });
    data.lines.push({ sku: 'B', price: '1', quantity: 1 });
    data.placedAt.setUTCFullYear(1999);
    at.setUTCFullYear(1999);
    expect(Object.isFrozen(data)).toBe(false);
    expect(event.data.lines).toHaveLength(1);
    expect(event.data.placedAt.getUTCFullYear()).toBe(2024);
    expect(event.occurredAt.getUTCFullYear()).toBe(2024);
  });

  it('rejects a bad payload naming the type, the version and every failing path', () => {
    let error: unknown;
    try {
      new OrderPlaced({
        customer: '',
        placedAt: 'yesterday',
        lines: [{ sku: 'A', price: '1.2.3', quantity: 1.5 }],
      } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EventValidationError);
    const v = error as EventValidationError;
    expect(v.code).toBe('EVENT.INVALID_PAYLOAD');
    expect(v.eventType).toBe('OrderPlaced');
    expect(v.eventVersion).toBe(2);
    expect(v.issues.map((i) => i.path).sort()).toEqual(['customer', 'lines.0.price', 'lines.0.quantity', 'placedAt']);
    expect(v.message).toContain('OrderPlaced v2');
    expect(v.message).toContain('lines.0.price');
  });

  it('reports a missing payload at the root path', () => {
    const error = (() => {
      try {
        new OrderPlaced(undefined as never);
      } catch (e) {
        return e as EventValidationError;
      }
    })();
    expect(error).toBeInstanceOf(EventValidationError);
    expect(error!.issues[0]!.path).toBe('');
    expect(error!.message).toContain('(root)');
  });

  it('rejects bad type names, versions and envelopes', () => {
    expect(() => defineEvent({ type: 'has space', schema: z.object({}) })).toThrow(InvalidArgumentError);
    expect(() => defineEvent({ type: 'Ok', version: 0, schema: z.object({}) })).toThrow(InvalidArgumentError);
    expect(() => defineEvent({ type: 'Ok', version: 1.5, schema: z.object({}) })).toThrow(InvalidArgumentError);
    expect(() => new OrderPlaced(valid(), { occurredAt: new Date('nope') })).toThrow(InvalidArgumentError);
    expect(() => new OrderPlaced(valid(), { aggregateVersion: -1 })).toThrow(InvalidArgumentError);
    expect(() => new OrderPlaced(valid(), { metadata: { bad: Number.NaN } as never })).toThrow(SerializationError);
  });

  it('with() copies envelope changes, keeps the payload and records explicit provenance', () => {
    const event = new OrderPlaced(valid(), { actorId: 'u1' });
    const copy = event.with({ aggregateId: 'o-1', aggregateVersion: 3, tenantId: 't1' });
    expect(copy).toBeInstanceOf(OrderPlaced);
    expect(copy).not.toBe(event);
    expect(copy.eventId).toBe(event.eventId);
    expect(copy.aggregateId).toBe('o-1');
    expect(copy.aggregateVersion).toBe(3);
    expect(copy.data).toBe(event.data);
    expect(event.aggregateId).toBe('');
    expect(copy.isExplicit('actorId')).toBe(true);
    expect(copy.isExplicit('tenantId')).toBe(true);
    expect(event.isExplicit('tenantId')).toBe(false);
    expect(copy.isExplicit('causationId')).toBe(false);
    expect(Object.isFrozen(copy)).toBe(true);
  });

  it('turns into a JSON record and back without loss', () => {
    const event = new OrderPlaced(valid(), { aggregateId: 'o-1', tenantId: 't', metadata: { a: 1 } });
    const record = toEventRecord(event);
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
    expect(record).toMatchObject({
      eventType: 'OrderPlaced',
      eventVersion: 2,
      aggregateId: 'o-1',
      tenantId: 't',
      actorId: null,
      causationId: null,
      occurredAt: event.occurredAt.toISOString(),
      data: { customer: 'c1', placedAt: '2024-05-01T10:00:00.000Z', lines: [{ sku: 'A', price: '9.99', quantity: 2 }] },
    });
  });

  it('uses ImmutableDate for every date it holds', () => {
    const event = new OrderPlaced(valid());
    expect(event.occurredAt).toBeInstanceOf(ImmutableDate);
    expect(event.data.placedAt).toBeInstanceOf(ImmutableDate);
  });

  it("may share an immutable date between events of the same time, never the caller's date", () => {
    const at = new Date('2024-01-01T00:00:00Z');
    const events = [0, 1].map(() => new OrderPlaced({ ...valid(), placedAt: at }, { occurredAt: at }));
    const before = Date.now();
    const defaulted = [0, 1].map(() => new OrderPlaced(valid()));
    at.setUTCFullYear(1999);
    for (const event of [...events, ...defaulted]) {
      expect(event.occurredAt).toBeInstanceOf(ImmutableDate);
      expect(event.data.placedAt).toBeInstanceOf(ImmutableDate);
      expect(() => event.occurredAt.setTime(0)).toThrow(TypeError);
    }
    for (const event of events) {
      expect(event.occurredAt).not.toBe(at);
      expect(event.data.placedAt).not.toBe(at);
      expect(event.occurredAt.toISOString()).toBe('2024-01-01T00:00:00.000Z');
      expect(event.data.placedAt.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    }
    for (const event of defaulted) {
      expect(event.occurredAt.getTime()).toBeGreaterThanOrEqual(before);
      expect(event.occurredAt.getTime()).toBeLessThanOrEqual(Date.now());
    }
  });
});
