import { describe, expect, it } from 'vitest';
import { EventRegistry, defineEvent, z } from '../index.js';
import { nextResult, storedEvent } from './plain-objects.js';
import { Position } from './position.js';

class Noted extends defineEvent({ type: 'PlainNoted', aggregateType: 'Plain', schema: z.object({ n: z.number() }) }) {}
EventRegistry.create({ events: [Noted] });

describe('plain objects of the read path', () => {
  it('cannot be told from the object literals they replace', () => {
    const event = new Noted({ n: 1 });
    const position = Position.of('s', 1n);
    const storedAt = new Date(0);
    const stored = storedEvent(event, 'Plain-1', 1, position, storedAt);
    expect(stored).toStrictEqual({ event, streamId: 'Plain-1', streamVersion: 1, position, storedAt });
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect(stored.constructor).toBe(Object);
    expect(Object.keys(stored)).toEqual(['event', 'streamId', 'streamVersion', 'position', 'storedAt']);
    const result = nextResult(stored);
    expect(result).toStrictEqual({ value: stored, done: false });
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.keys(result)).toEqual(['value', 'done']);
  });
});
