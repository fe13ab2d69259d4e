import BetterSqlite3 from 'better-sqlite3';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { conformanceRegistry } from '../../testing/conformance.js';
import { ConformanceNoted } from '../../testing/conformance-events.js';
import { newStream } from '../../testing/store-conformance-context.js';
import type { AppendResult, StoredEvent } from '../event-store.js';
import type { ExpectedVersion } from '../expected-version.js';
import type { Position } from '../position.js';
import { SqliteStoreConnection } from './sqlite-dialect.js';
import { SqliteEventStore } from './sqlite-event-store.js';

afterEach(() => vi.restoreAllMocks());

/** An append of the property: which stream, how many events, what it expects, how it may fail. */
interface Op {
  readonly stream: number;
  readonly count: number;
  readonly expected: 'any' | 'no_stream' | 'stream_exists' | number;
  /** Reuse the first event id of an earlier op: a duplicate if that one was written. */
  readonly duplicateOf: number | undefined;
  /** Its first event makes the injected trigger raise. */
  readonly fail: boolean;
  /** Through the view of tenant 'other' (a mismatch on streams of tenant 't'). */
  readonly otherTenant: boolean;
  /** 0: issued at once; 1: after a turn of the event loop (a later batch). */
  readonly later: 0 | 1;
}

const opArbitrary: fc.Arbitrary<Op> = fc.record({
  stream: fc.integer({ min: 0, max: 2 }),
  count: fc.integer({ min: 1, max: 3 }),
  expected: fc.oneof(
    fc.constantFrom('any' as const, 'no_stream' as const, 'stream_exists' as const),
    fc.integer({ min: 0, max: 6 }),
  ),
  duplicateOf: fc.option(fc.nat(), { nil: undefined }),
  fail: fc.boolean(),
  otherTenant: fc.boolean(),
  later: fc.constantFrom(0 as const, 1 as const),
});

async function openStore(groupCommit: boolean): Promise<SqliteEventStore> {
  const store = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry, groupCommit });
  // A failure SQLite raises inside the transaction, on one member's insert.
  await sql`create trigger inject_failure before insert on eventsmith_events when new.data like '%"text":"fail"%' begin select raise(abort, 'injected failure'); end`.execute(
    store.db,
  );
  // One that comes after the member's events are in: taking a stream to version 4 fails.
  await sql`create trigger inject_late_failure before update on eventsmith_streams when new.version = 4 begin select raise(abort, 'injected late failure'); end`.execute(
    store.db,
  );
  return store;
}

/** Opens a transaction and keeps it (and the writer) until `release()`; resolves once it holds the writer. */
async function holdWriter(store: SqliteEventStore): Promise<{ held: Promise<void>; release: () => void }> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let entered!: () => void;
  const inside = new Promise<void>((resolve) => (entered = resolve));
  const held = store.transaction(async () => {
    entered();
    await gate;
  });
  await inside;
  return { held, release };
}

type Outcome = { ok: true; nextVersion: number; position: Position } | { ok: false; error: string };
const outcome = (result: PromiseSettledResult<AppendResult>): Outcome =>
  result.status === 'fulfilled'
    ? { ok: true, nextVersion: result.value.nextVersion, position: result.value.position }
    : { ok: false, error: (result.reason as Error).constructor.name + ': ' + (result.reason as Error).message };
const comparable = (o: Outcome) => (o.ok ? { ok: true, nextVersion: o.nextVersion } : o);
const feed = async (store: SqliteEventStore) => {
  const rows: string[] = [];
  for await (const e of store.readAll()) rows.push(`${e.streamId}@${e.streamVersion}:${e.event.eventId}`);
  return rows;
};

it('group commit: every concurrent append gets the outcome it would have had alone, in order, and a tailing reader never skips', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArbitrary, { minLength: 2, maxLength: 24 }), async (ops) => {
      const streams = [newStream(), newStream(), newStream()];
      const events = ops.map((op, i) =>
        Array.from({ length: op.count }, (_, k) => {
          const duplicate = k === 0 && op.duplicateOf !== undefined && op.duplicateOf % (i + 1) !== i;
          const s = streams[op.stream]!;
          return new ConformanceNoted(
            { text: k === 0 && op.fail ? 'fail' : `op ${i}.${k}`, n: k },
            {
              aggregateId: s.aggregateId,
              aggregateType: s.aggregateType,
              ...(duplicate ? { eventId: `dup-${op.duplicateOf! % (i + 1)}` } : { eventId: `op-${i}-${k}` }),
            },
          );
        }),
      );
      // The op whose first id others reuse carries that id itself.
      const fixed = events.map((batch, i) =>
        ops.some((o, j) => j > i && o.duplicateOf !== undefined && o.duplicateOf % (j + 1) === i)
          ? [
              new ConformanceNoted(batch[0]!.data, {
                aggregateId: batch[0]!.aggregateId,
                aggregateType: batch[0]!.aggregateType,
                eventId: `dup-${i}`,
              }),
              ...batch.slice(1),
            ]
          : batch,
      );
      const expected = (op: Op): { expectedVersion: ExpectedVersion } => ({ expectedVersion: op.expected });
      const view = (store: SqliteEventStore, op: Op) => store.forTenant(op.otherTenant ? 'other' : 't');

      const grouped = await openStore(true);
      const alone = await openStore(false);
      try {
        // A tailing reader on the grouped store, reading while the batches commit.
        const seen: string[] = [];
        let after: Position | null = null;
        let tailing = true;
        const tail = (async () => {
          while (tailing) {
            for await (const e of grouped.readAll({ after })) {
              seen.push(`${e.streamId}@${e.streamVersion}:${e.event.eventId}`);
              after = e.position;
            }
            await new Promise((resolve) => setImmediate(resolve));
          }
        })();
        // Hold the writer so that the first appends queue up into one batch.
        const { held, release } = await holdWriter(grouped);
        const pending: Promise<AppendResult>[] = [];
        for (const [i, op] of ops.entries()) {
          if (op.later === 1 && i > 0) await new Promise((resolve) => setImmediate(resolve));
          const append = view(grouped, op).appendToStream(streams[op.stream]!.streamId, fixed[i]!, expected(op));
          append.catch(() => undefined); // settled below, after the later ones are issued
          pending.push(append);
          if (i === 0) release();
        }
        await held;
        const results = (await Promise.allSettled(pending)).map(outcome);

        const model: Outcome[] = [];
        for (const [i, op] of ops.entries()) {
          const [result] = await Promise.allSettled([
            view(alone, op).appendToStream(streams[op.stream]!.streamId, fixed[i]!, expected(op)),
          ]);
          model.push(outcome(result!));
        }
        expect(results.map(comparable)).toEqual(model.map(comparable));
        // Positions follow the order the appends were made in.
        const positions = results.flatMap((r) => (r.ok ? [r.position] : []));
        for (let i = 1; i < positions.length; i++) expect(positions[i]!.isAfter(positions[i - 1]!)).toBe(true);
        expect(await feed(grouped)).toEqual(await feed(alone));

        tailing = false;
        await tail;
        for await (const e of grouped.readAll({ after }))
          seen.push(`${e.streamId}@${e.streamVersion}:${e.event.eventId}`);
        expect(seen).toEqual(await feed(grouped)); // nothing skipped, nothing twice
      } finally {
        await grouped.close();
        await alone.close();
      }
    }),
    { numRuns: 40 },
  );
});

it('group commit: appends that wait for the writer share one transaction; one writer alone writes as before', async () => {
  const store = await openStore(true);
  const run = vi.spyOn(SqliteStoreConnection.prototype, 'run');
  const begins = () => run.mock.calls.filter(([text]) => text === 'begin immediate').length;
  try {
    const s = newStream();
    const first = new ConformanceNoted({ text: 'first', n: 1 }, { aggregateId: s.aggregateId });
    await store.appendToStream(s.streamId, [first], { expectedVersion: 'no_stream' });
    expect(begins()).toBe(1);

    const { held, release } = await holdWriter(store);
    const others = Array.from({ length: 8 }, () => newStream());
    const appends = others.map((o) =>
      store.appendToStream(o.streamId, [new ConformanceNoted({ text: 'x', n: 1 }, { aggregateId: o.aggregateId })], {
        expectedVersion: 'no_stream',
      }),
    );
    const conflict = store.appendToStream(
      s.streamId,
      [new ConformanceNoted({ text: 'late', n: 2 }, { aggregateId: s.aggregateId })],
      { expectedVersion: 'no_stream' },
    );
    conflict.catch(() => undefined); // checked below
    const before = begins();
    release();
    await held;
    const results = await Promise.all(appends);
    await expect(conflict).rejects.toMatchObject({ code: 'STORE.CONCURRENCY' });
    expect(begins() - before).toBe(1); // eight appends and a conflict, one transaction
    expect(results.map((r) => r.nextVersion)).toEqual(Array(8).fill(1));
    const read: StoredEvent[] = [];
    for await (const e of store.readAll()) read.push(e);
    expect(read).toHaveLength(9);
  } finally {
    await store.close();
  }
});

it('an append that finds the writer free has committed by the time appendToStream returns, with group commit on or off', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventsmith-sqlite-'));
  try {
    for (const groupCommit of [true, false]) {
      const filename = join(dir, `now-${groupCommit}.db`);
      const store = await SqliteEventStore.open({ filename, registry: conformanceRegistry, groupCommit });
      const other = new BetterSqlite3(filename, { readonly: true });
      try {
        const s = newStream();
        const appended = store.appendToStream(
          s.streamId,
          [new ConformanceNoted({ text: 'now', n: 1 }, { aggregateId: s.aggregateId })],
          { expectedVersion: 'no_stream' },
        );
        // Read at once, on a connection of its own: no microtask has run since the call.
        const committed = other.prepare('select count(*) as n from eventsmith_events where stream_id = ?');
        expect(committed.get(s.streamId)).toEqual({ n: 1 });
        await expect(appended).resolves.toMatchObject({ nextVersion: 1 });
      } finally {
        other.close();
        await store.close();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('group commit: of appends started together, the first is written at once and the others share one commit; concurrent writers keep sharing commits', async () => {
  const store = await SqliteEventStore.open({ filename: ':memory:', registry: conformanceRegistry });
  const run = vi.spyOn(SqliteStoreConnection.prototype, 'run');
  const begins = () => run.mock.calls.filter(([text]) => text === 'begin immediate').length;
  try {
    const together = Array.from({ length: 8 }, () => newStream());
    const results = await Promise.all(
      together.map((o) =>
        store.appendToStream(o.streamId, [new ConformanceNoted({ text: 'x', n: 1 }, { aggregateId: o.aggregateId })], {
          expectedVersion: 'no_stream',
        }),
      ),
    );
    expect(results.map((r) => r.nextVersion)).toEqual(Array(8).fill(1));
    expect(begins()).toBe(2);

    // Eight writers, six appends each: once a batch has committed, its members' next appends
    // form the next batch instead of each being written at once with a commit of its own.
    const before = begins();
    await Promise.all(
      together.map(async (o) => {
        for (let v = 1; v <= 6; v++)
          await store.appendToStream(
            o.streamId,
            [new ConformanceNoted({ text: 'x', n: v }, { aggregateId: o.aggregateId })],
            { expectedVersion: v },
          );
      }),
    );
    expect(begins() - before).toBeLessThanOrEqual(7);
    const read: StoredEvent[] = [];
    for await (const e of store.readAll()) read.push(e);
    expect(read).toHaveLength(8 * 7);
  } finally {
    await store.close();
  }
});
