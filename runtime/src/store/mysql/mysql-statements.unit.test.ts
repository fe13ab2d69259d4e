import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '../../events/domain-event.js';
import { EventRegistry } from '../../events/event-registry.js';
import { prepareAppend } from '../sql/prepare-append.js';
import { appendBody, mysqlTimestamp } from './mysql-statements.js';

class Noted extends defineEvent({ type: 'Noted', schema: z.object({ n: z.number() }) }) {}
const registry = EventRegistry.create({ events: [Noted] });
/** Each event's parameters in the append body: the 14 after the stream step's. */
const EVENT_PARAMETERS = 14;

describe('appendBody', () => {
  it('writes each event its occurred time and the append its stored time as DATETIME(3) text in UTC', () => {
    const times = [
      0,
      Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      -1,
    ];
    const events = times.map((time, n) => new Noted({ n }, { occurredAt: new Date(time) }));
    const before = Date.now();
    const body = appendBody(prepareAppend(registry, 'Noted-1', events, { expectedVersion: 'any' }, undefined, 255));
    const after = Date.now();
    const rows = body.parameters.slice(body.parameters.length - EVENT_PARAMETERS * events.length);
    const stored = new Set<unknown>();
    times.forEach((time, i) => {
      const row = rows.slice(i * EVENT_PARAMETERS, (i + 1) * EVENT_PARAMETERS);
      expect(row[1]).toBe(events[i]!.eventId); // the layout this test reads
      expect(row[7]).toBe(mysqlTimestamp(new Date(time)));
      stored.add(row[13]);
    });
    expect(stored.size).toBe(1);
    const [storedText = ''] = stored as Set<string>;
    expect(storedText).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/);
    const storedTime = Date.parse(`${storedText.replace(' ', 'T')}Z`);
    expect(storedTime).toBeGreaterThanOrEqual(before);
    expect(storedTime).toBeLessThanOrEqual(after);
  });
});
