import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConcurrencyError,
  DuplicateEventError,
  EventTypeNotFoundError,
  EventValidationError,
  InvalidArgumentError,
  TenantMismatchError,
} from '../errors.js';
import { defineEvent } from '../events/domain-event.js';
import type { StoredEvent } from '../store/event-store.js';
import { Position } from '../store/position.js';
import { UndecodableEventError } from '../store/undecodable-event-error.js';
import { collect } from './collect.js';
import {
  CONFORMANCE_AGGREGATE_TYPE,
  CONFORMANCE_OTHER_AGGREGATE_TYPE,
  ConformanceLegacyName,
  ConformanceNoted,
  ConformanceOtherHappened,
  ConformanceRenamed,
  ConformanceValued,
  ConformanceVersioned,
  ConformanceVersionedV1,
} from './conformance-events.js';
import { newStream, noted, useStore, type StoreFactory } from './store-conformance-context.js';
import { storeInputTests } from './store-conformance-input.js';
import { storeConcurrencyTests, type ConcurrencyTestOptions } from './store-conformance-concurrency.js';
import { storeModelTests, type ModelTestOptions } from './store-conformance-model.js';
import { storeCloseTests } from './store-conformance-close.js';

export type { PooledStoreFactory, StoreFactory, StoreUnderTest } from './store-conformance-context.js';

export interface StoreConformanceOptions extends ModelTestOptions, ConcurrencyTestOptions {}

/**
 * The contract every `EventStore` adapter must meet, as one vitest suite. Call it from the
 * adapter's test file with a factory that returns a fresh, empty store built with
 * `conformanceRegistry`. Test names are stable, so failures can be compared across adapters.
 *
 * @example
 * ```ts
 * import { conformanceRegistry, storeConformanceSuite } from '@eventsmith/runtime/testing/conformance';
 *
 * storeConformanceSuite('InMemoryEventStore', async () => ({
 *   store: new InMemoryEventStore({ registry: conformanceRegistry }),
 * }));
 * ```
 */
export function storeConformanceSuite(
  name: string,
  factory: StoreFactory,
  options: StoreConformanceOptions = {},
): void {
  describe(`${name} (store conformance)`, () => {
    const store = useStore(factory);

    describe('appendToStream', () => {
      it('appends to a new stream and returns the next version and the last position', async () => {
        const s = newStream();
        const result = await store().appendToStream(s.streamId, noted(s, 3), { expectedVersion: 'no_stream' });
        expect(result.nextVersion).toBe(3);
        const stored = await collect(store().readStream(s.streamId));
        expect(stored.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
        expect(result.position.equals(stored[2]!.position)).toBe(true);
      });

      it('checks an exact expected version, including 0 for a new stream', async () => {
        const s = newStream();
        await store().appendToStream(s.streamId, noted(s, 1), { expectedVersion: 0 });
        const second = await store().appendToStream(s.streamId, noted(s, 2, {}, 2), { expectedVersion: 1 });
        expect(second.nextVersion).toBe(3);
        const error = await store()
          .appendToStream(s.streamId, noted(s, 1, {}, 4), { expectedVersion: 1 })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ streamId: s.streamId, expected: 1, actual: 3, code: 'STORE.CONCURRENCY' });
        expect(await store().getStreamVersion(s.streamId)).toBe(3);
      });

      it("'no_stream' fails on an existing stream", async () => {
        const s = newStream();
        await store().appendToStream(s.streamId, noted(s, 2), { expectedVersion: 'no_stream' });
        const error = await store()
          .appendToStream(s.streamId, noted(s, 1, {}, 3), { expectedVersion: 'no_stream' })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ streamId: s.streamId, expected: 'no_stream', actual: 2 });
      });

      it("'stream_exists' fails on a missing stream and passes on an existing one", async () => {
        const s = newStream();
        const error = await store()
          .appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'stream_exists' })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConcurrencyError);
        expect(error).toMatchObject({ streamId: s.streamId, expected: 'stream_exists', actual: 0 });
        expect(await store().getStreamVersion(s.streamId)).toBe(0);
        await store().appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'any' });
        const result = await store().appendToStream(s.streamId, noted(s, 1, {}, 2), {
          expectedVersion: 'stream_exists',
        });
        expect(result.nextVersion).toBe(2);
      });

      it("'any' appends whatever the stream's version", async () => {
        const s = newStream();
        await store().appendToStream(s.streamId, noted(s, 1), { expectedVersion: 'any' });
        const result = await store().appendToStream(s.streamId, noted(s, 2, {}, 2), { expectedVersion: 'any' });
        expect(result.nextVersion).toBe(3);
      });

      it('rejects an empty batch', async () => {
        const s = newStream();
        await expect(store().appendToStream(s.streamId, [], { expectedVersion: 'any' })).rejects.toBeInstanceOf(
          InvalidArgumentError,
        );
        expect(await store().getStreamVersion(s.streamId)).toBe(0);
      });

      it('rejects an invalid expected version', async () => {
        const s = newStream();
        await expect(store().appendToStream(s.streamId, noted(s), { expectedVersion: -1 })).rejects.toBeInstanceOf(
          InvalidArgumentError,
        );
        await expect(store().appendToStream(s.streamId, noted(s), { expectedVersion: 1.5 })).rejects.toBeInstanceOf(
          InvalidArgumentError,
        );
      });

      it('refuses missing options and a plain object instead of an event, saying what to pass, and writes nothing', async () => {
        const s = newStream();
        const [event] = noted(s, 1);
        const append = (events: readonly unknown[], options?: unknown) =>
          store()
            .appendToStream(s.streamId, events as never, options as never)
            .then(
              () => undefined,
              (e: unknown) => e as Error,
            );
        for (const options of [undefined, null]) {
          const missing = await append([event], options);
          expect(missing).toBeInstanceOf(InvalidArgumentError);
          expect(missing?.message).toContain('needs options with an expectedVersion');
          expect(missing?.message).toContain("'no_stream'");
        }
        const noVersion = await append([event], {});
        expect(noVersion).toBeInstanceOf(InvalidArgumentError);
        expect(noVersion?.message).toContain('expectedVersion must be');
        const plain = await append([event, { ...event, eventId: 'plain-1' }], { expectedVersion: 'any' });
        expect(plain).toBeInstanceOf(InvalidArgumentError);
        expect(plain?.message).toMatch(
          /event 2 of the batch is a plain object, not an event\..*classes made by defineEvent/,
        );
        expect(await store().getStreamVersion(s.streamId)).toBe(0);
        expect(await store().eventExists(event!.eventId)).toBe(false);
      });

      it('rejects a duplicate event id within one batch and writes nothing', async () => {
        const s = newStream();
        const [a, b] = noted(s, 2);
        const error = await store()
          .appendToStream(s.streamId, [a!, b!, a!], { expectedVersion: 'any' })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DuplicateEventError);
        expect(error).toMatchObject({ eventId: a!.eventId, code: 'STORE.DUPLICATE_EVENT', where: 'batch' });
        expect((error as Error).message).toContain(`Event ${a!.eventId} appears twice in this append`);
        expect(await store().getStreamVersion(s.streamId)).toBe(0);
        expect(await store().eventExists(a!.eventId)).toBe(false);
        expect(await store().eventExists(b!.eventId)).toBe(false);
        expect(await store().currentPosition()).toBeNull();
      });

      it('rejects an event id already stored, in any stream, and writes nothing from the batch', async () => {
        const s = newStream();
        const other = newStream();
        const [a] = noted(s, 1);
        await store().appendToStream(s.streamId, [a!], { expectedVersion: 'no_stream' });
        const before = await store().currentPosition();
        const [fresh] = noted(s, 1, {}, 2);
        const error = await store()
          .appendToStream(s.streamId, [fresh!, a!], { expectedVersion: 1 })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DuplicateEventError);
        expect(error).toMatchObject({ eventId: a!.eventId, where: 'store' });
        expect(await store().getStreamVersion(s.streamId)).toBe(1);
        expect(await store().eventExists(fresh!.eventId)).toBe(false);
        const moved = a!.with({ aggregateId: other.aggregateId });
        await expect(
          store().appendToStream(other.streamId, [moved], { expectedVersion: 'any' }),
        ).rejects.toBeInstanceOf(DuplicateEventError);
        expect(await store().getStreamVersion(other.streamId)).toBe(0);
        expect((await store().currentPosition())!.equals(before!)).toBe(true);
      });

      it('rejects an event type the registry does not know, writing nothing', async () => {
        class Unregistered extends defineEvent({ type: 'ConformanceUnregistered', schema: z.object({}) }) {}
        const s = newStream();
        const event = new Unregistered({}, { aggregateId: s.aggregateId, aggregateType: s.aggregateType });
        await expect(store().appendToStream(s.streamId, [event], { expectedVersion: 'any' })).rejects.toBeInstanceOf(
          EventTypeNotFoundError,
        );
        expect(await store().getStreamVersion(s.streamId)).toBe(0);
      });

      it('numbers stream versions itself, whatever aggregateVersion the events carry', async () => {
        const s = newStream();
        const events = noted(s, 2, { aggregateVersion: 7 });
        await store().appendToStream(s.streamId, events, { expectedVersion: 'no_stream' });
        const stored = await collect(store().readStream(s.streamId));
        expect(stored.map((e) => [e.streamVersion, e.event.aggregateVersion])).toEqual([
          [1, 1],
          [2, 2],
        ]);
      });
    });

    describe('readStream', () => {
      it('returns the events with their envelope and payload intact', async () => {
        const s = newStream();
        const occurredAt = new Date('2024-02-29T12:34:56.789Z');
        const event = new ConformanceNoted(
          { text: 'héllo “world” 👋', n: -42 },
          {
            aggregateId: s.aggregateId,
            aggregateType: s.aggregateType,
            occurredAt,
            tenantId: 'tenant-a',
            actorId: 'user-1',
            correlationId: 'corr-1',
            causationId: 'cause-1',
            metadata: { source: 'conformance', nested: { list: [1, 'two', null, true] } },
          },
        );
        await store().appendToStream(s.streamId, [event], { expectedVersion: 'no_stream' });
        const [stored] = await collect(store().readStream(s.streamId));
        expect(stored!.streamId).toBe(s.streamId);
        expect(stored!.storedAt).toBeInstanceOf(Date);
        expect(stored!.event).toBeInstanceOf(ConformanceNoted);
        const e = stored!.event as ConformanceNoted;
        expect(e.eventId).toBe(event.eventId);
        expect(e.eventType).toBe('ConformanceNoted');
        expect(e.eventVersion).toBe(1);
        expect(e.aggregateId).toBe(s.aggregateId);
        expect(e.aggregateType).toBe(CONFORMANCE_AGGREGATE_TYPE);
        expect(e.aggregateVersion).toBe(1);
        expect(e.occurredAt.toISOString()).toBe(occurredAt.toISOString());
        expect(e.tenantId).toBe('tenant-a');
        expect(e.actorId).toBe('user-1');
        expect(e.correlationId).toBe('corr-1');
        expect(e.causationId).toBe('cause-1');
        expect(e.metadata).toEqual({ source: 'conformance', nested: { list: [1, 'two', null, true] } });
        expect(e.data).toEqual({ text: 'héllo “world” 👋', n: -42 });
      });

      it('round-trips decimals, dates, bigints beyond 2^53 and nested values exactly', async () => {
        const s = newStream();
        const data = {
          amount: '12345678901234567890.123456789',
          at: new Date('1999-12-31T23:59:59.999Z'),
          day: '2024-01-31',
          big: 2n ** 64n + 1n,
          ratio: 0.1,
          text: '',
          tags: ['a', 'b'],
          nested: { flag: false, none: null, list: [9007199254740991, -0.5, 1e-7] },
        };
        const event = new ConformanceValued(data, { aggregateId: s.aggregateId });
        await store().appendToStream(s.streamId, [event], { expectedVersion: 'no_stream' });
        const [stored] = await collect(store().readStream(s.streamId));
        const read = (stored!.event as ConformanceValued).data;
        expect(read.amount).toBe('12345678901234567890.123456789');
        expect(read.at.toISOString()).toBe('1999-12-31T23:59:59.999Z');
        expect(read.big).toBe(18446744073709551617n);
        expect(read.day).toBe('2024-01-31');
        expect(read.ratio).toBe(0.1);
        expect(read.text).toBe('');
        expect(read.tags).toEqual(['a', 'b']);
        expect(read.nested).toEqual({ flag: false, none: null, list: [9007199254740991, -0.5, 1e-7] });
      });

      it('reads an empty iterable for a missing stream, and version 0', async () => {
        const s = newStream();
        expect(await collect(store().readStream(s.streamId))).toEqual([]);
        expect(await store().getStreamVersion(s.streamId)).toBe(0);
      });

      it('treats from and to as inclusive bounds', async () => {
        const s = newStream();
        await store().appendToStream(s.streamId, noted(s, 6), { expectedVersion: 'no_stream' });
        const versions = async (o: Parameters<ReturnType<typeof store>['readStream']>[1]) =>
          (await collect(store().readStream(s.streamId, o))).map((e) => e.streamVersion);
        expect(await versions({ from: 2, to: 4 })).toEqual([2, 3, 4]);
        expect(await versions({ from: 5 })).toEqual([5, 6]);
        expect(await versions({ to: 2 })).toEqual([1, 2]);
        expect(await versions({ from: 3, to: 3 })).toEqual([3]);
        expect(await versions({ from: 7 })).toEqual([]);
        expect(await versions({ from: 4, to: 2 })).toEqual([]);
      });

      it('reads backward, newest first, with inclusive bounds', async () => {
        const s = newStream();
        await store().appendToStream(s.streamId, noted(s, 5), { expectedVersion: 'no_stream' });
        const versions = async (o: Parameters<ReturnType<typeof store>['readStream']>[1]) =>
          (await collect(store().readStream(s.streamId, o))).map((e) => e.streamVersion);
        expect(await versions({ direction: 'backward' })).toEqual([5, 4, 3, 2, 1]);
        expect(await versions({ direction: 'backward', from: 4, to: 2 })).toEqual([4, 3, 2]);
        expect(await versions({ direction: 'backward', limit: 2 })).toEqual([5, 4]);
      });

      it('stops after limit events', async () => {
        const s = newStream();
        await store().appendToStream(s.streamId, noted(s, 5), { expectedVersion: 'no_stream' });
        const read = await collect(store().readStream(s.streamId, { from: 2, limit: 2 }));
        expect(read.map((e) => e.streamVersion)).toEqual([2, 3]);
      });

      it('keeps streams apart', async () => {
        const a = newStream();
        const b = newStream();
        await store().appendToStream(a.streamId, noted(a, 2), { expectedVersion: 'no_stream' });
        await store().appendToStream(b.streamId, noted(b, 3), { expectedVersion: 'no_stream' });
        expect(await store().getStreamVersion(a.streamId)).toBe(2);
        expect(await store().getStreamVersion(b.streamId)).toBe(3);
        const read = await collect(store().readStream(a.streamId));
        expect(read.every((e) => e.event.aggregateId === a.aggregateId)).toBe(true);
      });
    });

    describe('upcasting on read', () => {
      it('reads an old-version record at the current version through the upcaster chain', async () => {
        const s = newStream();
        const old = new ConformanceVersionedV1({ amount: 12.34 }, { aggregateId: s.aggregateId });
        await store().appendToStream(s.streamId, [old], { expectedVersion: 'no_stream' });
        for (const stored of [
          ...(await collect(store().readStream(s.streamId))),
          ...(await collect(store().readAll({ eventTypes: ['ConformanceVersioned'] }))),
        ]) {
          expect(stored.event).toBeInstanceOf(ConformanceVersioned);
          expect(stored.event.eventVersion).toBe(3);
          expect(stored.event.eventId).toBe(old.eventId);
          expect(stored.event.data).toEqual({ amountCents: 1234, currency: 'EUR' });
        }
      });

      it('reads a record stored under an old type name as the renamed type, and filters by the new name', async () => {
        const s = newStream();
        const old = new ConformanceLegacyName({ label: 'x' }, { aggregateId: s.aggregateId });
        await store().appendToStream(s.streamId, [old], { expectedVersion: 'no_stream' });
        const [fromStream] = await collect(store().readStream(s.streamId));
        expect(fromStream!.event).toBeInstanceOf(ConformanceRenamed);
        expect(fromStream!.event.eventType).toBe('ConformanceRenamed');
        const filtered = await collect(store().readAll({ eventTypes: ['ConformanceRenamed'] }));
        expect(filtered.map((e) => e.event.eventId)).toEqual([old.eventId]);
      });
    });

    describe('readAll', () => {
      it('returns every event in commit order with strictly increasing positions', async () => {
        const a = newStream();
        const b = newStream();
        const ids: string[] = [];
        for (const [s, n] of [
          [a, 2],
          [b, 1],
          [a, 1],
          [b, 3],
        ] as const) {
          const events = noted(s, n);
          ids.push(...events.map((e) => e.eventId));
          await store().appendToStream(s.streamId, events, { expectedVersion: 'any' });
        }
        const all = await collect(store().readAll());
        expect(all.map((e) => e.event.eventId)).toEqual(ids);
        const [sa, sb] = [a.streamId, b.streamId];
        expect(all.map((e) => [e.streamId, e.streamVersion])).toEqual([
          [sa, 1],
          [sa, 2],
          [sb, 1],
          [sa, 3],
          [sb, 2],
          [sb, 3],
          [sb, 4],
        ]);
        for (const e of all) expect(e.storedAt).toBeInstanceOf(Date);
        for (let i = 1; i < all.length; i++) expect(all[i]!.position.isAfter(all[i - 1]!.position)).toBe(true);
      });

      it('resumes strictly after a position, also from its serialised form', async () => {
        const s = newStream();
        await store().appendToStream(s.streamId, noted(s, 5), { expectedVersion: 'no_stream' });
        const all = await collect(store().readAll());
        const third = all[2]!.position;
        const rest = await collect(store().readAll({ after: third }));
        expect(rest.map((e) => e.streamVersion)).toEqual([4, 5]);
        const parsed = Position.parse(JSON.parse(JSON.stringify({ p: third })).p as string);
        expect(parsed.equals(third)).toBe(true);
        expect(parsed.compare(third)).toBe(0);
        const again = await collect(store().readAll({ after: parsed }));
        expect(again.map((e) => e.event.eventId)).toEqual(rest.map((e) => e.event.eventId));
        expect(await collect(store().readAll({ after: all[4]!.position }))).toEqual([]);
        expect((await collect(store().readAll({ after: null }))).length).toBe(5);
      });

      it('stops after limit events and pages through everything', async () => {
        const s = newStream();
        await store().appendToStream(s.streamId, noted(s, 7), { expectedVersion: 'no_stream' });
        const first = await collect(store().readAll({ limit: 3 }));
        expect(first.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
        const seen: number[] = [];
        let after: Position | null = null;
        for (let pages = 0; pages < 10; pages++) {
          const page: StoredEvent[] = await collect(store().readAll({ after, limit: 3 }));
          if (page.length === 0) break;
          seen.push(...page.map((e) => e.streamVersion));
          after = page[page.length - 1]!.position;
        }
        expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
      });

      it('filters by event type, aggregate type and tenant, together with after and limit', async () => {
        const a = newStream();
        const o = newStream(CONFORMANCE_OTHER_AGGREGATE_TYPE);
        const n1 = noted(a, 1, { tenantId: 't1' });
        const other = new ConformanceOtherHappened({ n: 1 }, { aggregateId: o.aggregateId, tenantId: 't2' });
        const versioned = new ConformanceVersioned(
          { amountCents: 1, currency: 'USD' },
          { aggregateId: a.aggregateId, tenantId: 't2' },
        );
        const n2 = noted(a, 2, { tenantId: 't1' }, 3);
        await store().appendToStream(a.streamId, n1, { expectedVersion: 'no_stream' });
        await store().appendToStream(o.streamId, [other], { expectedVersion: 'no_stream' });
        await store().appendToStream(a.streamId, [versioned, ...n2], { expectedVersion: 1 });
        const ids = async (options: Parameters<ReturnType<typeof store>['readAll']>[0]) =>
          (await collect(store().readAll(options))).map((e) => e.event.eventId);
        expect(await ids({ eventTypes: ['ConformanceNoted'] })).toEqual([...n1, ...n2].map((e) => e.eventId));
        expect(await ids({ eventTypes: ['ConformanceVersioned', 'ConformanceOtherHappened'] })).toEqual([
          other.eventId,
          versioned.eventId,
        ]);
        expect(await ids({ aggregateTypes: [CONFORMANCE_OTHER_AGGREGATE_TYPE] })).toEqual([other.eventId]);
        expect(await ids({ tenantId: 't2' })).toEqual([other.eventId, versioned.eventId]);
        expect(
          await ids({ tenantId: 't1', eventTypes: ['ConformanceNoted'], aggregateTypes: [CONFORMANCE_AGGREGATE_TYPE] }),
        ).toEqual([...n1, ...n2].map((e) => e.eventId));
        expect(await ids({ eventTypes: ['ConformanceNoted'], limit: 2 })).toEqual([n1[0]!.eventId, n2[0]!.eventId]);
        const [firstNoted] = await collect(store().readAll({ eventTypes: ['ConformanceNoted'] }));
        expect(await ids({ eventTypes: ['ConformanceNoted'], after: firstNoted!.position })).toEqual(
          n2.map((e) => e.eventId),
        );
        expect(await ids({ eventTypes: [] })).toEqual([]);
        expect(await ids({ tenantId: 'nobody' })).toEqual([]);
      });

      it('stops at an event it cannot decode with UndecodableEventError (position, stream, raw record), and reads on after it', async () => {
        const s = newStream();
        const [before] = noted(s, 1);
        // Upcasts to amountCents = Infinity, which the current schema refuses.
        const bad = new ConformanceVersionedV1({ amount: 1e307 }, { aggregateId: s.aggregateId });
        const [after] = noted(s, 1, {}, 2);
        await store().appendToStream(s.streamId, [before!], { expectedVersion: 'no_stream' });
        const { position } = await store().appendToStream(s.streamId, [bad], { expectedVersion: 1 });
        await store().appendToStream(s.streamId, [after!], { expectedVersion: 2 });
        const seen: string[] = [];
        const error = await (async () => {
          for await (const stored of store().readAll()) seen.push(stored.event.eventId);
        })().catch((e: unknown) => e);
        expect(seen).toEqual([before!.eventId]);
        expect(error).toBeInstanceOf(UndecodableEventError);
        const undecodable = error as UndecodableEventError;
        expect(undecodable).toMatchObject({
          code: 'STORE.UNDECODABLE_EVENT',
          streamId: s.streamId,
          streamVersion: 2,
          eventId: bad.eventId,
        });
        expect(undecodable.position.equals(position)).toBe(true);
        expect(undecodable.storedAt).toBeInstanceOf(Date);
        expect(undecodable.record).toMatchObject({
          eventId: bad.eventId,
          eventType: 'ConformanceVersioned',
          eventVersion: 1,
          aggregateId: s.aggregateId,
        });
        expect(undecodable.cause).toBeInstanceOf(EventValidationError);
        expect(undecodable.reason).toMatch(/amountCents/);
        const rest = await collect(store().readAll({ after: undecodable.position }));
        expect(rest.map((e) => e.event.eventId)).toEqual([after!.eventId]);
        // Filters that leave it out read past it.
        const onlyNoted = await collect(store().readAll({ eventTypes: ['ConformanceNoted'] }));
        expect(onlyNoted.map((e) => e.event.eventId)).toEqual([before!.eventId, after!.eventId]);
      });
    });

    describe('positions and lookups', () => {
      it('currentPosition is null when empty and then the last committed position', async () => {
        expect(await store().currentPosition()).toBeNull();
        const s = newStream();
        const first = await store().appendToStream(s.streamId, noted(s, 2), { expectedVersion: 'no_stream' });
        expect((await store().currentPosition())!.equals(first.position)).toBe(true);
        const second = await store().appendToStream(s.streamId, noted(s, 1, {}, 3), { expectedVersion: 2 });
        expect(second.position.isAfter(first.position)).toBe(true);
        expect((await store().currentPosition())!.equals(second.position)).toBe(true);
        const all = await collect(store().readAll());
        expect(all[all.length - 1]!.position.equals(second.position)).toBe(true);
      });

      it('positions are serialisable and totally ordered', async () => {
        const s = newStream();
        await store().appendToStream(s.streamId, noted(s, 4), { expectedVersion: 'no_stream' });
        const positions = (await collect(store().readAll())).map((e) => e.position);
        const tokens = positions.map((p) => p.toString());
        const parsed = tokens.map((t) => Position.parse(t));
        for (let i = 0; i < positions.length; i++) {
          expect(parsed[i]!.equals(positions[i]!)).toBe(true);
          for (let j = 0; j < positions.length; j++) {
            expect(Math.sign(parsed[i]!.compare(parsed[j]!))).toBe(Math.sign(i - j));
          }
        }
        expect(new Set(tokens).size).toBe(tokens.length);
      });

      it('eventExists is true for stored ids only', async () => {
        const s = newStream();
        const [e] = noted(s, 1);
        expect(await store().eventExists(e!.eventId)).toBe(false);
        await store().appendToStream(s.streamId, [e!], { expectedVersion: 'no_stream' });
        expect(await store().eventExists(e!.eventId)).toBe(true);
        expect(await store().eventExists(noted(s)[0]!.eventId)).toBe(false);
      });

      it('getStreamVersion follows appends', async () => {
        const s = newStream();
        expect(await store().getStreamVersion(s.streamId)).toBe(0);
        await store().appendToStream(s.streamId, noted(s, 3), { expectedVersion: 'no_stream' });
        expect(await store().getStreamVersion(s.streamId)).toBe(3);
        await store().appendToStream(s.streamId, noted(s, 1, {}, 4), { expectedVersion: 3 });
        expect(await store().getStreamVersion(s.streamId)).toBe(4);
      });
    });

    describe('transaction', () => {
      it('commits every append made through it, atomically', async () => {
        const a = newStream();
        const b = newStream();
        const value = await store().transaction(async (tx) => {
          await tx.appendToStream(a.streamId, noted(a, 2), { expectedVersion: 'no_stream' });
          await tx.appendToStream(a.streamId, noted(a, 1, {}, 3), { expectedVersion: 2 });
          await tx.appendToStream(b.streamId, noted(b, 1), { expectedVersion: 'no_stream' });
          return 'done';
        });
        expect(value).toBe('done');
        expect(await store().getStreamVersion(a.streamId)).toBe(3);
        expect(await store().getStreamVersion(b.streamId)).toBe(1);
        expect((await collect(store().readAll())).map((e) => e.streamId)).toEqual([
          a.streamId,
          a.streamId,
          a.streamId,
          b.streamId,
        ]);
      });

      it('writes nothing when the function throws', async () => {
        const a = newStream();
        const b = newStream();
        const boom = new Error('boom');
        const ran: string[] = [];
        await expect(
          store().transaction(async (tx) => {
            tx.afterCommit(() => void ran.push('afterCommit'));
            await tx.appendToStream(a.streamId, noted(a, 2), { expectedVersion: 'no_stream' });
            await tx.appendToStream(b.streamId, noted(b, 1), { expectedVersion: 'no_stream' });
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await store().getStreamVersion(a.streamId)).toBe(0);
        expect(await store().getStreamVersion(b.streamId)).toBe(0);
        expect(await store().currentPosition()).toBeNull();
        expect(ran).toEqual([]);
        const after = await store().appendToStream(a.streamId, noted(a, 1), { expectedVersion: 'no_stream' });
        expect(after.nextVersion).toBe(1);
      });

      it('rolls back earlier appends when a later append in it conflicts', async () => {
        const a = newStream();
        const b = newStream();
        await store().appendToStream(b.streamId, noted(b, 1), { expectedVersion: 'no_stream' });
        await expect(
          store().transaction(async (tx) => {
            await tx.appendToStream(a.streamId, noted(a, 1), { expectedVersion: 'no_stream' });
            await tx.appendToStream(b.streamId, noted(b, 1, {}, 2), { expectedVersion: 'no_stream' });
          }),
        ).rejects.toBeInstanceOf(ConcurrencyError);
        expect(await store().getStreamVersion(a.streamId)).toBe(0);
        expect(await store().getStreamVersion(b.streamId)).toBe(1);
      });

      it('keeps a stream as it was when an append in it is refused and the function goes on', async () => {
        const a = newStream();
        const b = newStream();
        const [stored] = noted(b, 1);
        await store().appendToStream(b.streamId, [stored!], { expectedVersion: 'no_stream' });
        const c = newStream();
        await store().transaction(async (tx) => {
          await tx.appendToStream(c.streamId, noted(c, 1), { expectedVersion: 'no_stream' });
          // A duplicate event id, refused after the new stream's version was checked.
          await expect(
            tx.appendToStream(a.streamId, [...noted(a, 1), stored!], { expectedVersion: 'no_stream' }),
          ).rejects.toBeInstanceOf(DuplicateEventError);
          await expect(
            tx.appendToStream(b.streamId, [...noted(b, 1, {}, 2), stored!], { expectedVersion: 1 }),
          ).rejects.toBeInstanceOf(DuplicateEventError);
          await tx.appendToStream(b.streamId, noted(b, 1, {}, 2), { expectedVersion: 1 });
        });
        expect(await store().getStreamVersion(a.streamId)).toBe(0);
        expect(await store().getStreamVersion(b.streamId)).toBe(2);
        // Committed, not lost: PostgreSQL answers COMMIT of a transaction a failed statement aborted with a rollback.
        expect(await store().getStreamVersion(c.streamId)).toBe(1);
        const after = await store().appendToStream(a.streamId, noted(a, 1), { expectedVersion: 'no_stream' });
        expect(after.nextVersion).toBe(1);
        expect((await collect(store().readStream(b.streamId))).map((e) => e.streamVersion)).toEqual([1, 2]);
      });

      it('commits the appends before a refused one when the function catches its error and returns', async () => {
        const a = newStream();
        const b = newStream();
        const [stored] = noted(b, 1);
        await store().appendToStream(b.streamId, [stored!], { expectedVersion: 'no_stream' });
        await store().transaction(async (tx) => {
          await tx.appendToStream(a.streamId, noted(a, 1), { expectedVersion: 'no_stream' });
          await tx.appendToStream(a.streamId, [stored!], { expectedVersion: 1 }).catch((error: unknown) => {
            expect(error).toBeInstanceOf(DuplicateEventError);
          });
        });
        expect(await store().getStreamVersion(a.streamId)).toBe(1);
        expect((await collect(store().readStream(a.streamId))).map((e) => e.streamVersion)).toEqual([1]);
      });

      it('runs afterCommit callbacks only after the commit, in order', async () => {
        const a = newStream();
        const log: string[] = [];
        await store().transaction(async (tx) => {
          tx.afterCommit(async () => {
            log.push(`first sees version ${await store().getStreamVersion(a.streamId)}`);
          });
          await tx.appendToStream(a.streamId, noted(a, 2), { expectedVersion: 'no_stream' });
          tx.afterCommit(() => void log.push('second'));
          log.push('body done');
        });
        expect(log).toEqual(['body done', 'first sees version 2', 'second']);
      });

      it('hides its appends from reads beside it until it commits, and a rollback leaves no trace in the feed', async () => {
        const a = newStream();
        const first = await store().appendToStream(a.streamId, noted(a, 1), { expectedVersion: 'no_stream' });
        const b = newStream();
        const [rolledBack] = noted(b, 1);
        const rollback = new Error('roll back');
        let during:
          | { version: number; stream: StoredEvent[]; exists: boolean; position: Position | null; feed: StoredEvent[] }
          | undefined;
        await expect(
          store().transaction(async (tx) => {
            await tx.appendToStream(b.streamId, [rolledBack!], { expectedVersion: 'no_stream' });
            // Reads through the store (not tx.sql) see committed events only.
            during = {
              version: await store().getStreamVersion(b.streamId),
              stream: await collect(store().readStream(b.streamId)),
              exists: await store().eventExists(rolledBack!.eventId),
              position: await store().currentPosition(),
              feed: await collect(store().readAll({ after: first.position })),
            };
            throw rollback;
          }),
        ).rejects.toBe(rollback);
        expect(during).toMatchObject({ version: 0, stream: [], exists: false, feed: [] });
        expect(during!.position?.equals(first.position)).toBe(true);
        // A reader that polled during the transaction resumes where it was and gets the event that
        // really holds the next position.
        const [real] = noted(b, 1, {}, 2);
        const next = await store().appendToStream(b.streamId, [real!], { expectedVersion: 'no_stream' });
        const feed = await collect(store().readAll({ after: first.position }));
        expect(feed.map((e) => e.event.eventId)).toEqual([real!.eventId]);
        expect(feed[0]!.position.equals(next.position)).toBe(true);
      });
    });

    describe('forTenant', () => {
      it('reads only its own tenant events', async () => {
        const a = newStream();
        const b = newStream();
        const mine = noted(a, 2, { tenantId: 't1' });
        const theirs = noted(b, 1, { tenantId: 't2' });
        await store().appendToStream(a.streamId, mine, { expectedVersion: 'no_stream' });
        await store().appendToStream(b.streamId, theirs, { expectedVersion: 'no_stream' });
        const t1 = store().forTenant('t1');
        expect((await collect(t1.readAll())).map((e) => e.event.eventId)).toEqual(mine.map((e) => e.eventId));
        expect(await collect(t1.readAll({ tenantId: 't2' }))).toEqual([]);
        expect(await collect(t1.readStream(b.streamId))).toEqual([]);
        expect(await collect(t1.readStream(b.streamId, { direction: 'backward' }))).toEqual([]);
        expect(await t1.getStreamVersion(b.streamId)).toBe(0);
        expect(await t1.getStreamVersion(a.streamId)).toBe(2);
        expect(await t1.eventExists(theirs[0]!.eventId)).toBe(false);
        expect(await t1.eventExists(mine[0]!.eventId)).toBe(true);
        // Another tenant's view reads its own events with the same kinds of read.
        const t2 = store().forTenant('t2');
        expect((await collect(t2.readAll())).map((e) => e.event.eventId)).toEqual(theirs.map((e) => e.eventId));
        expect((await collect(t2.readStream(b.streamId))).map((e) => e.event.eventId)).toEqual(
          theirs.map((e) => e.eventId),
        );
        expect(await collect(t2.readStream(a.streamId))).toEqual([]);
      });

      it('stamps its tenant on events without one, and refuses events of another tenant', async () => {
        const a = newStream();
        const t1 = store().forTenant('t1');
        await t1.appendToStream(a.streamId, noted(a, 1), { expectedVersion: 'no_stream' });
        const [stored] = await collect(store().readStream(a.streamId));
        expect(stored!.event.tenantId).toBe('t1');
        const foreign = noted(a, 1, { tenantId: 't2' }, 2);
        const error = await t1.appendToStream(a.streamId, foreign, { expectedVersion: 1 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TenantMismatchError);
        expect(error).toMatchObject({ expectedTenantId: 't1', actualTenantId: 't2' });
        expect(await store().getStreamVersion(a.streamId)).toBe(1);
      });

      it("refuses to append to another tenant's stream", async () => {
        const b = newStream();
        await store().appendToStream(b.streamId, noted(b, 1, { tenantId: 't2' }), { expectedVersion: 'no_stream' });
        const t1 = store().forTenant('t1');
        await expect(
          t1.appendToStream(b.streamId, noted(b, 1, {}, 2), { expectedVersion: 'any' }),
        ).rejects.toBeInstanceOf(TenantMismatchError);
        expect(await store().getStreamVersion(b.streamId)).toBe(1);
      });

      it("leaves its transaction usable after refusing an append to another tenant's stream or at a wrong version", async () => {
        const a = newStream();
        const b = newStream();
        await store().appendToStream(b.streamId, noted(b, 1, { tenantId: 't2' }), { expectedVersion: 'no_stream' });
        await store()
          .forTenant('t1')
          .transaction(async (tx) => {
            await tx.appendToStream(a.streamId, noted(a, 1), { expectedVersion: 'no_stream' });
            for (const expectedVersion of ['any', 'stream_exists', 1] as const) {
              await expect(
                tx.appendToStream(b.streamId, noted(b, 1, {}, 2), { expectedVersion }),
              ).rejects.toBeInstanceOf(TenantMismatchError);
            }
            await expect(
              tx.appendToStream(a.streamId, noted(a, 1, {}, 2), { expectedVersion: 5 }),
            ).rejects.toBeInstanceOf(ConcurrencyError);
            await tx.appendToStream(a.streamId, noted(a, 1, {}, 2), { expectedVersion: 1 });
          });
        expect(await store().getStreamVersion(a.streamId)).toBe(2);
        expect(await store().getStreamVersion(b.streamId)).toBe(1);
      });

      it('shares positions with the whole store', async () => {
        const a = newStream();
        const result = await store()
          .forTenant('t1')
          .appendToStream(a.streamId, noted(a, 1), { expectedVersion: 'no_stream' });
        expect((await store().currentPosition())!.equals(result.position)).toBe(true);
        expect((await store().forTenant('t1').currentPosition())!.equals(result.position)).toBe(true);
      });
    });

    storeInputTests(store);
    storeConcurrencyTests(store, options);
    storeModelTests(store, options);
    storeCloseTests(factory, options.pooled);
  });
}
