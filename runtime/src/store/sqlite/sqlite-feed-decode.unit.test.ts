import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { collect } from '../../testing/collect.js';
import { conformanceRegistry } from '../../testing/conformance.js';
import { currentVersionDecodeSuite } from '../../testing/current-version-decode-suite.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { readPage } from '../feed-page.js';
import { readStreamPage } from '../stream-page.js';
import { SqliteEventStore } from './sqlite-event-store.js';

describe('SqliteEventStore: rows at the current version', () => {
  currentVersionDecodeSuite(async () => {
    const store = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry });
    return { store, teardown: () => store.close() };
  });
});

// Reads get each row with its payload text spliced into one JSON text: a payload text that is
// not exactly one JSON value must not shift the row's other values.
describe('SqliteEventStore: payload texts read as JSON', () => {
  let store: SqliteEventStore;
  beforeEach(async () => {
    store = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry });
  });
  afterEach(() => store.close());

  /** Three events in a stream, the middle one's payload text replaced by `data`. */
  async function withMiddle(data: string) {
    const s = newStream();
    const events = noted(s, 3);
    await store.appendToStream(s.streamId, events, { expectedVersion: 'no_stream' });
    await store.db.updateTable('eventsmith_events').set({ data }).where('event_id', '=', events[1]!.eventId).execute();
    return { s, events };
  }

  for (const [what, data] of [
    ['two JSON values', '{"text":"a","n":1},{"text":"b","n":2}'],
    ['cut short', '{"text":"a",'],
    ['empty', ''],
  ] as const) {
    it(`a payload text that is ${what} fails with JSON.parse's SyntaxError where each read reaches it`, async () => {
      const { s, events } = await withMiddle(data);
      const seen: string[] = [];
      const error = await (async () => {
        for await (const stored of store.readAll()) seen.push(stored.event.eventId);
      })().catch((e: unknown) => e);
      expect(seen).toEqual([events[0]!.eventId]);
      expect(error).toBeInstanceOf(SyntaxError);

      seen.length = 0;
      const streamError = await (async () => {
        for await (const stored of store.readStream(s.streamId)) seen.push(stored.event.eventId);
      })().catch((e: unknown) => e);
      expect(seen).toEqual([events[0]!.eventId]);
      expect(streamError).toBeInstanceOf(SyntaxError);

      await expect(readPage(store, { limit: 10 })).rejects.toBeInstanceOf(SyntaxError);
      expect(() => store[readStreamPage](s.streamId, 1)).toThrow(SyntaxError);
      // The rows after it read as ever.
      const [last] = await collect(store.readStream(s.streamId, { from: 3 }));
      expect(last!.event.eventId).toBe(events[2]!.eventId);
      expect(last!.event.data).toEqual(events[2]!.data);
    });
  }

  it('a payload text with brackets, quotes and escapes inside its strings reads back as it was written', async () => {
    const text = '],["x",1],[ \\"} é\u2028\n';
    const { s, events } = await withMiddle(JSON.stringify({ text, n: 7 }));
    const read = await collect(store.readAll());
    expect(read.map((stored) => stored.event.eventId)).toEqual(events.map((event) => event.eventId));
    expect(read[1]!.event.data).toEqual({ text, n: 7 });
    expect(read[1]!.streamVersion).toBe(2);
    expect(read[1]!.streamId).toBe(s.streamId);
    expect(store[readStreamPage](s.streamId, 1).events[1]!.data).toEqual({ text, n: 7 });
  });
});
