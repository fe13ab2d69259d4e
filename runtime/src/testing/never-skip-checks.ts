// Shared never-skip checks for the server stores (PostgreSQL, MariaDB): imported by their
// integration tests only.
import { expect } from 'vitest';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import type { Position } from '../store/position.js';
import { collect } from './collect.js';
import { newStream, noted } from './store-conformance-context.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Writer A appends in an open transaction; B appends and commits (PostgreSQL), or waits for A
 * (MariaDB's position allocator hands out positions in commit order). Either way the feed shows
 * nothing of B while A is open, and A before B once A commits.
 */
export async function checkOpenTransactionHoldsBackLaterCommits(store: EventStore): Promise<void> {
  const a = newStream();
  const b = newStream();
  const start = await store.currentPosition();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let appendedA!: () => void;
  const aAppended = new Promise<void>((resolve) => (appendedA = resolve));
  const writerA = store.transaction(async (tx) => {
    await tx.appendToStream(a.streamId, noted(a, 2), { expectedVersion: 'no_stream' });
    appendedA();
    await gate;
  });
  await aAppended;
  const writerB = store.appendToStream(b.streamId, noted(b, 1), { expectedVersion: 'no_stream' });
  await Promise.race([writerB, sleep(300)]);
  expect(await collect(store.readAll({ after: start }))).toEqual([]); // nothing of B (nor A) yet
  release();
  await writerA;
  await writerB;
  const feed = await collect(store.readAll({ after: start }));
  expect(feed.map((e) => e.streamId)).toEqual([a.streamId, a.streamId, b.streamId]);
}

/**
 * Many writers append with random delays inside their transactions while a reader tails the
 * feed from its last position. The reader must receive every committed event exactly once, in
 * the order of the final feed.
 */
export async function checkTailingReaderSeesEveryEventOnce(
  store: EventStore,
  options: { writers: number; appendsPerWriter: number },
): Promise<void> {
  const start = await store.currentPosition();
  const reader = tailFeed(store, start, 50);
  const committed: string[] = [];
  await Promise.all(
    Array.from({ length: options.writers }, async (_, w) => {
      const s = newStream();
      for (let i = 0; i < options.appendsPerWriter; i++) {
        const events = noted(s, 1 + (i % 3), {}, i * 3 + 1);
        await store.transaction(async (tx) => {
          if (w % 2 === 0) await sleep(Math.random() * 5);
          await tx.appendToStream(s.streamId, events, { expectedVersion: 'any' });
          await sleep(Math.random() * 10); // hold the transaction open after taking positions
        });
        committed.push(...events.map((e) => e.eventId));
      }
    }),
  );
  const received = await reader.stop();
  const ids = received.map((e) => e.event.eventId);
  expect(new Set(ids).size).toBe(ids.length); // exactly once
  expect([...ids].sort()).toEqual([...committed].sort()); // every event
  const final = await collect(store.readAll({ after: start }));
  expect(ids).toEqual(final.map((e) => e.event.eventId)); // in the store's global order
  for (let i = 1; i < received.length; i++) expect(received[i]!.position.isAfter(received[i - 1]!.position)).toBe(true);
}

/**
 * Tails the feed from `start` in pages of `limit`, each read after the last position it saw,
 * until `stop()` is called and a read finds nothing more; `stop()` resolves with what it read.
 */
export function tailFeed(store: EventStore, start: Position | null, limit: number): { stop(): Promise<StoredEvent[]> } {
  const received: StoredEvent[] = [];
  let writing = true;
  const reading = (async () => {
    let after = start;
    for (;;) {
      const done = !writing;
      const page = await collect(store.readAll({ after, limit }));
      received.push(...page);
      if (page.length > 0) after = page[page.length - 1]!.position;
      else if (done) return received;
      else await sleep(1);
    }
  })();
  return {
    stop: () => {
      writing = false;
      return reading;
    },
  };
}

/**
 * Call with a store that reads pages of two rows (`pageSize: 2`), so the feed reads its next page
 * ahead. A feed read page after page while appends commit beside it gets every event once and in
 * order, and the rest after it; a limit that ends inside a page read ahead gives exactly that
 * many; an iteration abandoned while a page is read ahead lets the store close (the caller closes it).
 */
export async function checkReadAheadFeedSeesEveryEventOnce(store: EventStore): Promise<void> {
  const s = newStream();
  await store.appendToStream(s.streamId, noted(s, 5), { expectedVersion: 'no_stream' });
  const seen: StoredEvent[] = [];
  let appended = 5;
  for await (const stored of store.readAll()) {
    seen.push(stored);
    // After each event, one more commits: some land in pages read ahead already, some later.
    if (appended < 11) {
      await store.appendToStream(s.streamId, noted(s, 1, {}, appended + 1), { expectedVersion: appended });
      appended++;
    }
  }
  const versions = seen.map((e) => e.streamVersion);
  expect(versions).toEqual(versions.map((_, i) => i + 1));
  expect(versions.length).toBeGreaterThanOrEqual(5);
  const rest = await collect(store.readAll({ after: seen[seen.length - 1]!.position }));
  expect([...versions, ...rest.map((e) => e.streamVersion)]).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
  // A limit that ends inside a page read ahead: exactly that many, in order.
  expect((await collect(store.readAll({ limit: 5 }))).map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5]);
  // Abandoned after its first event (a page read ahead is in flight): close() still completes.
  for await (const _stored of store.readAll()) break;
}
