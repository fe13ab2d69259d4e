import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent } from '../events/domain-event.js';
import { ConcurrencyError, InvalidArgumentError, SerializationError } from '../errors.js';
import type { EventStore } from '../store/event-store.js';
import { Position } from '../store/position.js';
import { collect } from './collect.js';
import {
  CONFORMANCE_AGGREGATE_TYPE,
  CONFORMANCE_OTHER_AGGREGATE_TYPE,
  ConformanceNoted,
  ConformanceOtherHappened,
  ConformanceTree,
} from './conformance-events.js';
import { newStream, noted } from './store-conformance-context.js';

/**
 * Input at the edge of what stores accept: every adapter must either keep it exactly or refuse it
 * with the same typed error before writing anything (see runtime/SERIALIZATION.md, "What a store
 * accepts"). A raw driver error, or a value that reads back changed, fails these cases.
 */
export function storeInputTests(store: () => EventStore): void {
  describe('input a store must keep exactly or refuse', () => {
    it('refuses NUL characters and lone surrogates in ids and payload text, writing nothing', async () => {
      const s = newStream();
      const attempts: [string, () => Promise<unknown>, typeof InvalidArgumentError | typeof SerializationError][] = [
        [
          'NUL in the stream id',
          () => store().appendToStream(`${s.streamId}\u0000x`, noted(s), { expectedVersion: 'any' }),
          InvalidArgumentError,
        ],
        [
          'lone surrogate in the stream id',
          () => store().appendToStream(`${s.streamId}-\uD800x`, noted(s), { expectedVersion: 'any' }),
          InvalidArgumentError,
        ],
        [
          'NUL in the aggregate id',
          () =>
            store().appendToStream(s.streamId, noted({ ...s, aggregateId: 'a\u0000b' }), { expectedVersion: 'any' }),
          InvalidArgumentError,
        ],
        [
          'NUL in the tenant id',
          () => store().appendToStream(s.streamId, noted(s, 1, { tenantId: 't\u0000' }), { expectedVersion: 'any' }),
          InvalidArgumentError,
        ],
        [
          'lone surrogate in the actor id',
          () => store().appendToStream(s.streamId, noted(s, 1, { actorId: '\uDC00' }), { expectedVersion: 'any' }),
          InvalidArgumentError,
        ],
        [
          'NUL in a payload string',
          () =>
            store().appendToStream(
              s.streamId,
              [new ConformanceNoted({ text: 'a\u0000b', n: 1 }, { aggregateId: s.aggregateId })],
              { expectedVersion: 'any' },
            ),
          SerializationError,
        ],
        [
          'lone surrogate in a payload string',
          () =>
            store().appendToStream(
              s.streamId,
              [new ConformanceNoted({ text: 'Probe-\uD800x', n: 1 }, { aggregateId: s.aggregateId })],
              { expectedVersion: 'any' },
            ),
          SerializationError,
        ],
        [
          'NUL in a metadata key',
          async () =>
            store().appendToStream(s.streamId, noted(s, 1, { metadata: { 'k\u0000': 1 } }), { expectedVersion: 'any' }),
          SerializationError,
        ],
      ];
      for (const [what, attempt, type] of attempts) {
        const error = await Promise.resolve()
          .then(attempt)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(error, what).toBeInstanceOf(type);
      }
      expect(await store().currentPosition()).toBeNull();
      // Valid surrogate pairs are text like any other.
      const emoji = new ConformanceNoted(
        { text: '👋 \uD83D\uDE00', n: 1 },
        { aggregateId: s.aggregateId, metadata: { '🔑': '✓' } },
      );
      await store().appendToStream(s.streamId, [emoji], { expectedVersion: 'no_stream' });
      const [read] = await collect(store().readStream(s.streamId));
      expect(read!.event.data).toEqual({ text: '👋 \uD83D\uDE00', n: 1 });
      expect(read!.event.metadata).toEqual({ '🔑': '✓' });
    });

    it('refuses ids that end with a space, which MariaDB cannot tell apart from the id without it, writing nothing', async () => {
      const s = newStream();
      const refusals: [string, () => unknown][] = [
        ['stream id', () => store().appendToStream(`${s.streamId} `, noted(s), { expectedVersion: 'any' })],
        [
          'event id',
          () => store().appendToStream(s.streamId, noted(s, 1, { eventId: 'e1 ' }), { expectedVersion: 'any' }),
        ],
        [
          'tenant id',
          () => store().appendToStream(s.streamId, noted(s, 1, { tenantId: 't1 ' }), { expectedVersion: 'any' }),
        ],
        ['readStream', () => collect(store().readStream(`${s.streamId} `))],
        ['readAll tenantId', () => collect(store().readAll({ tenantId: 't1 ' }))],
        ['forTenant', () => store().forTenant('t1 ')],
        ['eventExists', () => store().eventExists('e1 ')],
      ];
      for (const [what, attempt] of refusals) {
        const error = await Promise.resolve()
          .then(attempt)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(error, what).toBeInstanceOf(InvalidArgumentError);
        expect((error as Error).message, what).toContain('ends with a space');
      }
      expect(await store().currentPosition()).toBeNull();
      // A space anywhere else is text like any other, kept exactly.
      const spaced = { ...s, aggregateId: ` ${s.aggregateId} x` };
      const streamId = `${s.aggregateType}- ${s.aggregateId} x`;
      await store().appendToStream(streamId, noted(spaced, 1, { tenantId: ' t1 x' }), { expectedVersion: 'no_stream' });
      const [read] = await collect(store().readStream(streamId));
      expect(read!.event.aggregateId).toBe(spaced.aggregateId);
      expect(read!.event.tenantId).toBe(' t1 x');
    });

    it('refuses an event its registry could not read back, writing nothing, and keeps one it can', async () => {
      const s = newStream();
      const aggregateType = CONFORMANCE_AGGREGATE_TYPE;
      // Classes of a registered type that are not the registered class: a stale copy whose schema
      // the registered one refuses, a version the registry does not know, and a faithful copy.
      class StaleNoted extends defineEvent({
        type: 'ConformanceNoted',
        aggregateType,
        schema: z.object({ text: z.number(), n: z.number() }),
      }) {}
      class FutureNoted extends defineEvent({
        type: 'ConformanceNoted',
        version: 9,
        aggregateType,
        schema: z.object({ text: z.string(), n: z.number().int() }),
      }) {}
      class CopiedNoted extends defineEvent({
        type: 'ConformanceNoted',
        aggregateType,
        schema: z.object({ text: z.string(), n: z.number().int() }),
      }) {}
      const init = { aggregateId: s.aggregateId };
      const refusals: [string, () => Promise<unknown>, RegExp][] = [
        [
          'a payload the registered schema refuses',
          () =>
            store().appendToStream(s.streamId, [new StaleNoted({ text: 7, n: 1 }, init)], { expectedVersion: 'any' }),
          /\(ConformanceNoted v1\) was not appended: .*could not read it back \(.*text/,
        ],
        [
          'a version the registry does not know',
          () =>
            store().appendToStream(s.streamId, [new FutureNoted({ text: 'a', n: 1 }, init)], {
              expectedVersion: 'any',
            }),
          /\(ConformanceNoted v9\) was not appended: .*only knows up to v1/,
        ],
        [
          'a batch with one such event after a good one',
          () =>
            store().appendToStream(s.streamId, [...noted(s), new StaleNoted({ text: 7, n: 2 }, init)], {
              expectedVersion: 'any',
            }),
          /register the class you built it with/,
        ],
      ];
      for (const [what, attempt, message] of refusals) {
        const error = await Promise.resolve()
          .then(attempt)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(error, what).toBeInstanceOf(InvalidArgumentError);
        expect((error as Error).message, what).toMatch(message);
      }
      expect(await collect(store().readStream(s.streamId))).toEqual([]);
      await store().appendToStream(s.streamId, [new CopiedNoted({ text: 'copy', n: 1 }, init)], {
        expectedVersion: 'no_stream',
      });
      const [read] = await collect(store().readStream(s.streamId));
      expect(read!.event).toBeInstanceOf(ConformanceNoted);
      expect(read!.event.data).toEqual({ text: 'copy', n: 1 });
    });

    it('refuses filter values, positions and limits it cannot take, and keeps working', async () => {
      const s = newStream();
      await store().appendToStream(s.streamId, noted(s, 2), { expectedVersion: 'no_stream' });
      const storeId = store().storeId;
      for (const options of [
        { eventTypes: ['ConformanceNoted\u0000'] },
        { aggregateTypes: ['\uD800'] },
        { tenantId: 't\u0000' },
        { after: Position.of(storeId, -5) },
        { after: Position.of(storeId, 2n ** 200n) },
        { limit: -1 },
        { limit: 1.5 },
      ]) {
        const error = await collect(store().readAll(options)).catch((e: unknown) => e);
        expect(
          error,
          JSON.stringify(options, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
        ).toBeInstanceOf(InvalidArgumentError);
      }
      await expect(collect(store().readStream(`${s.streamId}\u0000`))).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(store().getStreamVersion(`${s.streamId}\u0000`)).rejects.toBeInstanceOf(InvalidArgumentError);
      // Nothing above broke the store (on PostgreSQL a NUL in a statement dropped the connection).
      expect((await collect(store().readAll())).length).toBe(2);
    });

    it('refuses versions no stream can have, and reads to the end of the stream for a larger `to`', async () => {
      const s = newStream();
      await store().appendToStream(s.streamId, noted(s, 3), { expectedVersion: 'no_stream' });
      for (const expectedVersion of [2 ** 31, 1e300, -1]) {
        const error = await store()
          .appendToStream(s.streamId, noted(s, 1, {}, 4), { expectedVersion })
          .catch((e: unknown) => e);
        expect(error, String(expectedVersion)).toBeInstanceOf(InvalidArgumentError);
      }
      const highest = await store()
        .appendToStream(s.streamId, noted(s, 1, {}, 4), { expectedVersion: 2 ** 31 - 1 })
        .catch((e: unknown) => e);
      expect(highest).toBeInstanceOf(ConcurrencyError);
      const versions = async (options: Parameters<EventStore['readStream']>[1]) =>
        (await collect(store().readStream(s.streamId, options))).map((e) => e.streamVersion);
      expect(await versions({ to: 1e20 })).toEqual([1, 2, 3]);
      expect(await versions({ from: 2 ** 40, direction: 'backward' })).toEqual([3, 2, 1]);
      expect(await versions({ from: 2 ** 40 })).toEqual([]);
      for (const options of [
        { from: 'a' as unknown as number },
        { to: -1 },
        { from: 1.5 },
        { limit: -1 },
        { direction: 'sideways' as 'forward' },
      ]) {
        await expect(collect(store().readStream(s.streamId, options)), JSON.stringify(options)).rejects.toBeInstanceOf(
          InvalidArgumentError,
        );
      }
    });

    it('filters by more event and aggregate types than a query has branches (thousands)', async () => {
      const a = newStream();
      const o = newStream(CONFORMANCE_OTHER_AGGREGATE_TYPE);
      const notes = noted(a, 3);
      const other = new ConformanceOtherHappened({ n: 1 }, { aggregateId: o.aggregateId });
      await store().appendToStream(a.streamId, notes.slice(0, 2), { expectedVersion: 'no_stream' });
      await store().appendToStream(o.streamId, [other], { expectedVersion: 'no_stream' });
      await store().appendToStream(a.streamId, notes.slice(2), { expectedVersion: 2 });
      const many = (n: number, ...real: string[]) => [
        ...Array.from({ length: n }, (_, i) => `Unknown.Type${i}`),
        ...real,
      ];
      const ids = async (options: Parameters<EventStore['readAll']>[0]) =>
        (await collect(store().readAll(options))).map((e) => e.event.eventId);
      expect(await ids({ eventTypes: many(2_000, 'ConformanceNoted') })).toEqual(notes.map((e) => e.eventId));
      expect(await ids({ eventTypes: many(600, 'ConformanceNoted', 'ConformanceOtherHappened'), limit: 2 })).toEqual([
        notes[0]!.eventId,
        notes[1]!.eventId,
      ]);
      expect(await ids({ aggregateTypes: many(2_000, CONFORMANCE_OTHER_AGGREGATE_TYPE) })).toEqual([other.eventId]);
      expect(
        await ids({
          eventTypes: many(700, 'ConformanceNoted'),
          aggregateTypes: many(700, CONFORMANCE_AGGREGATE_TYPE),
          tenantId: undefined,
        }),
      ).toEqual(notes.map((e) => e.eventId));
      const [first] = await collect(store().readAll({ eventTypes: ['ConformanceNoted'] }));
      expect(await ids({ eventTypes: many(1_000, 'ConformanceNoted'), after: first!.position })).toEqual(
        notes.slice(1).map((e) => e.eventId),
      );
      expect(await ids({ eventTypes: many(1_000) })).toEqual([]);
    });

    it('round-trips a payload nested as deep as allowed, and names the path of a deeper or circular one', async () => {
      const s = newStream();
      let deepest: unknown = 'leaf';
      for (let i = 0; i < 30; i++) deepest = i % 2 ? [deepest] : { d: deepest }; // 30 levels below the payload object: 31
      const kept = new ConformanceTree({ value: deepest }, { aggregateId: s.aggregateId });
      await store().appendToStream(s.streamId, [kept], { expectedVersion: 'no_stream' });
      const [read] = await collect(store().readStream(s.streamId));
      expect(read!.event.data).toEqual({ value: deepest });

      // Refused when the event is built or when it is appended; either way before anything is written.
      const append = (value: unknown) =>
        Promise.resolve()
          .then(() =>
            store().appendToStream(s.streamId, [new ConformanceTree({ value }, { aggregateId: s.aggregateId })], {
              expectedVersion: 1,
            }),
          )
          .catch((e: unknown) => e);
      const error = await append([deepest]);
      expect(error).toBeInstanceOf(SerializationError);
      expect((error as SerializationError).path).toMatch(/^data\.value\.0\.0\.d\./);

      const circular: Record<string, unknown> = { name: 'loop' };
      circular['self'] = { back: circular };
      const loop = await append(circular);
      expect(loop).toBeInstanceOf(SerializationError);
      expect((loop as SerializationError).message).toMatch(
        /data\.value\.self\.back: circular reference.*data\.value\b/,
      );
      expect(await store().getStreamVersion(s.streamId)).toBe(1);
    });
  });
}
