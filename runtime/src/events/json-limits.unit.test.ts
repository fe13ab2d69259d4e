import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SerializationError } from '../errors.js';
import { defineEvent } from './domain-event.js';
import { toEventRecord } from './event-record.js';
import { fields } from './field-types.js';
import { MAX_JSON_DEPTH, textProblem, toJsonValue } from './json.js';

class Anything extends defineEvent({ type: 'Anything', schema: z.object({ v: z.unknown() }) }) {}
class Counted extends defineEvent({
  type: 'Counted',
  schema: z.object({ big: fields.bigint(), at: fields.datetime() }),
}) {}

function nested(levels: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = { d: value };
  return value;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('payloads JSON cannot carry are SerializationErrors that name the path', () => {
  it('a circular payload, when the event is built and when any value is converted', () => {
    const loop: Record<string, unknown> = { name: 'x' };
    loop['items'] = [{ parent: loop }];
    const built = thrown(() => new Anything({ v: loop }));
    expect(built).toBeInstanceOf(SerializationError);
    expect(built).toMatchObject({ path: 'data.v.items.0.parent' });
    expect((built as Error).message).toMatch(/circular reference: it is the same object as data\.v;/);
    const converted = thrown(() => toJsonValue({ state: loop }, 'state'));
    expect(converted).toMatchObject({ path: 'state.state.items.0.parent' });
    const metadata = thrown(() => new Anything({ v: 1 }, { metadata: { loop } as never }));
    expect(metadata).toBeInstanceOf(SerializationError);
    expect(metadata).toMatchObject({ path: 'metadata.loop.items.0.parent' });
  });

  it('a payload 5,000 levels deep (no stack overflow), naming the first level too deep', () => {
    const error = thrown(() => new Anything({ v: nested(5_000) }));
    expect(error).toBeInstanceOf(SerializationError);
    // The payload object is level 1, so the first refused container sits 31 levels below it.
    expect((error as SerializationError).path).toBe(['data', 'v', ...Array(MAX_JSON_DEPTH - 1).fill('d')].join('.'));
    expect((error as Error).message).toMatch(/nested more than 31 levels deep/);
    expect(thrown(() => toJsonValue(nested(5_000)))).toBeInstanceOf(SerializationError);
  });

  it('keeps a payload exactly as deep as allowed', () => {
    const event = new Anything({ v: nested(MAX_JSON_DEPTH - 1) });
    expect(toEventRecord(event).data).toEqual({ v: nested(MAX_JSON_DEPTH - 1) });
  });

  it('JSON.stringify(event) writes bigints and dates as they are stored', () => {
    const event = new Counted({ big: 2n ** 70n, at: new Date(0) });
    const json = JSON.parse(JSON.stringify(event)) as { data: unknown };
    expect(json.data).toEqual({ big: '1180591620717411303424', at: '1970-01-01T00:00:00.000Z' });
    const raw = new Anything({ v: { n: 10n } });
    expect(JSON.parse(JSON.stringify(raw)).data).toEqual({ v: { n: '10' } });
  });

  it('text with a NUL or a lone surrogate, in a value or a key', () => {
    expect(textProblem('plain 👋')).toBeUndefined();
    expect(textProblem('a\u0000b')).toMatch(/NUL character \(U\+0000\) at index 1/);
    expect(textProblem('x\uD800')).toMatch(/lone surrogate \(\\uD800 at index 1\)/);
    expect(textProblem('\uDC00y')).toMatch(/lone surrogate \(\\uDC00 at index 0\)/);
    expect(textProblem('\uDC00\uD83D')).toMatch(/lone surrogate \(\\uDC00 at index 0\)/); // a pair backwards
    expect(textProblem('\uD83D\uDC4B'.repeat(100))).toBeUndefined();
    expect(textProblem(`${'👋'.repeat(50)}\uD83D`)).toMatch(/lone surrogate \(\\uD83D at index 100\)/);
    expect(textProblem('\uD800\u0000')).toMatch(/NUL character \(U\+0000\) at index 1/); // NUL reported first
    expect(textProblem('')).toBeUndefined();
    expect(thrown(() => toJsonValue({ list: ['ok', 'bad\u0000'] }, 'data'))).toMatchObject({ path: 'data.list.1' });
    expect(thrown(() => toJsonValue({ ['k\uD800']: 1 }, 'metadata'))).toMatchObject({ path: 'metadata."k\\ud800"' });
  });
});
