import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DuplicateEventError } from '../../errors.js';
import { defineEvent } from '../../events/domain-event.js';
import { EventRegistry } from '../../events/event-registry.js';
import { prepareAppend } from './prepare-append.js';

class Noted extends defineEvent({ type: 'PrepNoted', aggregateType: 'Prep', schema: z.object({ n: z.number() }) }) {}
const registry = EventRegistry.create({ events: [Noted] });

describe('prepareAppend', () => {
  it('writes metadata as JSON.stringify does: {} for none, and an empty array stays []', () => {
    const events = [
      new Noted({ n: 1 }),
      new Noted({ n: 2 }, { metadata: { source: 'test' } }),
      new Noted({ n: 3 }, { metadata: [] as never }),
    ];
    const prepared = prepareAppend(registry, 'Prep-1', events, { expectedVersion: 'no_stream' }, undefined);
    expect(prepared.metadataJson).toEqual(events.map((e) => JSON.stringify(e.metadata)));
    expect(prepared.metadataJson).toEqual(['{}', '{"source":"test"}', '[]']);
  });

  it('refuses an event id repeated within one append', () => {
    const event = new Noted({ n: 1 });
    expect(() => prepareAppend(registry, 'Prep-1', [event, event], { expectedVersion: 'any' }, undefined)).toThrow(
      DuplicateEventError,
    );
  });
});
