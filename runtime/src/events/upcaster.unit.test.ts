import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from './domain-event.js';
import type { EventRecord } from './event-record.js';
import { EventRegistry } from './event-registry.js';
import { upcaster } from './upcaster.js';

class Opened extends defineEvent({
  type: 'Opened',
  version: 2,
  schema: z.object({ owner: z.string(), note: z.string().optional(), openedBy: z.string() }),
}) {}

/** Stored JSON shapes as the generator declares them: optional fields, so not JsonValue-constrained. */
type OpenedV1 = { owner: string; note?: string };
type OpenedV2 = { owner: string; note?: string; openedBy: string };

const openedV1ToV2 = (data: OpenedV1, record: EventRecord): OpenedV2 => ({ ...data, openedBy: record.actorId ?? '?' });

describe('upcaster()', () => {
  it('registers a typed step that the registry runs when it decodes an old version', () => {
    const registry = EventRegistry.create({ events: [Opened], upcasters: [upcaster('Opened', 1, openedV1ToV2)] });
    const event = registry.decode({
      eventId: '0190a000-0000-7000-8000-000000000001',
      eventType: 'Opened',
      eventVersion: 1,
      aggregateId: 'a-1',
      aggregateType: 'Account',
      aggregateVersion: 1,
      occurredAt: '2024-01-01T00:00:00.000Z',
      tenantId: null,
      actorId: 'ann',
      correlationId: 'c',
      causationId: null,
      metadata: {},
      data: { owner: 'ann' },
    });
    expect(event).toBeInstanceOf(Opened);
    expect(event.data).toEqual({ owner: 'ann', openedBy: 'ann' });
  });

  it('keeps the step as its eventType and fromVersion', () => {
    expect(upcaster('Opened', 1, openedV1ToV2)).toMatchObject({ eventType: 'Opened', fromVersion: 1 });
  });
});
