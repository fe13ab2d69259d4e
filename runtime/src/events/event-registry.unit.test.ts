import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DuplicateEventTypeError,
  EventTypeNotFoundError,
  EventValidationError,
  EventVersionTooNewError,
  UpcasterChainError,
} from '../errors.js';
import { defineEvent } from './domain-event.js';
import { toEventRecord, type EventRecord } from './event-record.js';
import { EventRegistry } from './event-registry.js';
import type { JsonObject } from './json.js';
import { defineUpcaster, type Upcaster } from './upcaster.js';

class AccountOpened extends defineEvent({
  type: 'AccountOpened',
  version: 3,
  schema: z.object({ owner: z.string(), currency: z.string(), limit: z.string() }),
}) {}
class MoneyDeposited extends defineEvent({ type: 'MoneyDeposited', schema: z.object({ amount: z.string() }) }) {}

const v1ToV2: Upcaster = {
  eventType: 'AccountOpened',
  fromVersion: 1,
  upcast: (data) => ({ ...(data as JsonObject), currency: 'EUR' }),
};
const v2ToV3 = defineUpcaster<
  { owner: string; currency: string; overdraft?: string },
  { owner: string; currency: string; limit: string }
>({
  eventType: 'AccountOpened',
  fromVersion: 2,
  upcast: ({ overdraft, ...rest }) => ({ ...rest, limit: overdraft ?? '0' }),
});

function record(overrides: Partial<EventRecord>): EventRecord {
  return {
    eventId: '0190a000-0000-7000-8000-000000000001',
    eventType: 'AccountOpened',
    eventVersion: 1,
    aggregateId: 'a-1',
    aggregateType: 'Account',
    aggregateVersion: 1,
    occurredAt: '2024-01-01T00:00:00.000Z',
    tenantId: null,
    actorId: null,
    correlationId: 'c',
    causationId: null,
    metadata: {},
    data: { owner: 'ann' },
    ...overrides,
  };
}

const registry = () =>
  EventRegistry.create({
    events: [AccountOpened, MoneyDeposited],
    upcasters: [v2ToV3, v1ToV2],
    aliases: { AccountCreated: 'AccountOpened' },
  });

describe('EventRegistry', () => {
  it('maps types to classes and lists them', () => {
    const r = registry();
    expect(r.get('AccountOpened')).toBe(AccountOpened);
    expect(r.types).toEqual(['AccountOpened', 'MoneyDeposited']);
    expect(r.has('MoneyDeposited')).toBe(true);
    expect(r.has('Nope')).toBe(false);
  });

  it('rejects a type registered twice, with its own error', () => {
    class Again extends defineEvent({ type: 'MoneyDeposited', schema: z.object({}) }) {}
    const error = (() => {
      try {
        EventRegistry.create({ events: [MoneyDeposited, Again] });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DuplicateEventTypeError);
    expect(error).not.toBeInstanceOf(EventTypeNotFoundError);
    expect(error).toMatchObject({ eventType: 'MoneyDeposited', code: 'REGISTRY.DUPLICATE_TYPE' });
  });

  it('rejects an unknown type, listing the known ones', () => {
    const error = (() => {
      try {
        registry().get('MoneyWithdrawn');
      } catch (e) {
        return e as EventTypeNotFoundError;
      }
    })();
    expect(error).toBeInstanceOf(EventTypeNotFoundError);
    expect(error!.knownTypes).toEqual(['AccountOpened', 'MoneyDeposited']);
    expect(error!.message).toContain('AccountOpened, MoneyDeposited');
    expect(() => registry().decode(record({ eventType: 'MoneyWithdrawn' }))).toThrow(EventTypeNotFoundError);
  });

  it('upcasts an old record through the whole chain, then validates it', () => {
    const event = registry().decode(record({ eventVersion: 1, data: { owner: 'ann' } }));
    expect(event).toBeInstanceOf(AccountOpened);
    expect(event.eventVersion).toBe(3);
    expect(event.data).toEqual({ owner: 'ann', currency: 'EUR', limit: '0' });
    expect(event.eventId).toBe('0190a000-0000-7000-8000-000000000001');
    const fromV2 = registry().decode(
      record({ eventVersion: 2, data: { owner: 'bob', currency: 'USD', overdraft: '50' } }),
    );
    expect(fromV2.data).toEqual({ owner: 'bob', currency: 'USD', limit: '50' });
  });

  it('leaves current-version records alone and validates them', () => {
    const event = registry().decode(record({ eventVersion: 3, data: { owner: 'c', currency: 'GBP', limit: '1' } }));
    expect(event.data).toEqual({ owner: 'c', currency: 'GBP', limit: '1' });
    expect(() => registry().decode(record({ eventVersion: 3, data: { owner: 'c' } }))).toThrow(EventValidationError);
  });

  it('rejects a record newer than the code', () => {
    expect(() => registry().decode(record({ eventVersion: 4 }))).toThrow(EventVersionTooNewError);
  });

  it('round-trips an event through its record', () => {
    const event = new MoneyDeposited(
      { amount: '10.00' },
      { aggregateId: 'a', aggregateVersion: 2, actorId: 'u', metadata: { k: 'v' } },
    );
    const back = registry().decode(JSON.parse(JSON.stringify(toEventRecord(event))) as EventRecord);
    expect(back.toJSON()).toEqual(event.toJSON());
  });

  it('fails at build time when a chain has a gap', () => {
    const build = () => EventRegistry.create({ events: [AccountOpened], upcasters: [v1ToV2] });
    expect(build).toThrow(UpcasterChainError);
    expect(build).toThrow(/v2→v3 is missing/);
    expect(() => EventRegistry.create({ events: [AccountOpened], upcasters: [v2ToV3] })).toThrow(/v1→v2 is missing/);
    expect(() => EventRegistry.create({ events: [AccountOpened] })).toThrow(UpcasterChainError);
  });

  it('rejects duplicate, out-of-range and unknown-type upcasters', () => {
    expect(() => EventRegistry.create({ events: [AccountOpened], upcasters: [v1ToV2, v1ToV2, v2ToV3] })).toThrow(
      /Two upcasters/,
    );
    expect(() =>
      EventRegistry.create({ events: [AccountOpened], upcasters: [v1ToV2, v2ToV3, { ...v1ToV2, fromVersion: 3 }] }),
    ).toThrow(/out of range/);
    expect(() =>
      EventRegistry.create({ events: [MoneyDeposited], upcasters: [{ ...v1ToV2, eventType: 'Ghost' }] }),
    ).toThrow(UpcasterChainError);
  });

  it('reads a renamed type through its alias, upcasting it too', () => {
    const r = registry();
    const event = r.decode(record({ eventType: 'AccountCreated', eventVersion: 1, data: { owner: 'old' } }));
    expect(event).toBeInstanceOf(AccountOpened);
    expect(event.eventType).toBe('AccountOpened');
    expect(event.data).toEqual({ owner: 'old', currency: 'EUR', limit: '0' });
    expect(r.resolveType('AccountCreated')).toBe('AccountOpened');
    expect(r.typeNamesFor('AccountOpened')).toEqual(['AccountCreated', 'AccountOpened']);
    expect(r.typeNamesFor('AccountCreated')).toEqual(['AccountCreated', 'AccountOpened']);
  });

  it('accepts upcasters registered under the old name of a renamed type', () => {
    const r = EventRegistry.create({
      events: [AccountOpened],
      aliases: { AccountCreated: 'AccountOpened' },
      upcasters: [{ ...v1ToV2, eventType: 'AccountCreated' }, v2ToV3],
    });
    expect(r.decode(record({ eventVersion: 1 })).data).toMatchObject({ currency: 'EUR' });
  });

  it('rejects aliases that clash with a type or point nowhere', () => {
    expect(() =>
      EventRegistry.create({
        events: [AccountOpened, MoneyDeposited],
        upcasters: [v1ToV2, v2ToV3],
        aliases: { MoneyDeposited: 'AccountOpened' },
      }),
    ).toThrow(DuplicateEventTypeError);
    expect(() => EventRegistry.create({ events: [MoneyDeposited], aliases: { Old: 'Missing' } })).toThrow(
      EventTypeNotFoundError,
    );
  });

  it('merges registries, keeping their upcasters and aliases', () => {
    const a = EventRegistry.create({
      events: [AccountOpened],
      upcasters: [v1ToV2, v2ToV3],
      aliases: { AccountCreated: 'AccountOpened' },
    });
    const b = EventRegistry.create({ events: [MoneyDeposited] });
    const merged = EventRegistry.merge(a, b);
    expect(merged.types).toEqual(['AccountOpened', 'MoneyDeposited']);
    expect(merged.decode(record({ eventType: 'AccountCreated' })).eventVersion).toBe(3);
    expect(() => EventRegistry.merge(a, a)).toThrow(DuplicateEventTypeError);
  });
});
