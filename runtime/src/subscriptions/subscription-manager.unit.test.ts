import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { Position } from '../store/position.js';
import type { StoredEvent } from '../store/event-store.js';
import { signalOnCommit } from './append-hooks.js';
import { InMemoryCheckpointStore } from './checkpoint-store.js';
import { InMemoryDeadLetterQueue } from './in-memory-dead-letter-queue.js';
import { SubscriptionManager } from './subscription-manager.js';
import { DuplicateSubscriptionError, HandlerTimeoutError, SubscriptionNotFoundError } from './subscription-errors.js';
import { InMemorySubscriptionLock } from './subscription-lock.js';
import { BusWakeUp, WakeUpSignal } from './wake-up.js';
import { InMemoryEventBus } from '../bus/memory/in-memory-event-bus.js';
import { InMemoryOutboxStore } from '../outbox/in-memory-outbox-store.js';
import { OutboxRelay } from '../outbox/outbox-relay.js';
import { appendDeposits, Deposited, feed, Noted, registry, waitFor } from '../test-support/subscription-fixtures.js';

const fastRetry = { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 };
const managers: SubscriptionManager[] = [];

function setup(options: Partial<ConstructorParameters<typeof SubscriptionManager>[0]> = {}) {
  const signal = new WakeUpSignal();
  const base = new InMemoryEventStore({ registry });
  const store = signalOnCommit(base, signal);
  const manager = new SubscriptionManager({ store, wakeUps: [signal], pollIntervalMs: 5_000, ...options });
  managers.push(manager);
  return { store, manager, signal };
}

const amountOf = (s: StoredEvent) => (s.event as Deposited).data.amount;

afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.stop(1000)));
});

describe('SubscriptionManager: delivery', () => {
  it('catches up from the beginning, then delivers live appends once each, in global order', async () => {
    const { store, manager } = setup();
    await appendDeposits(store, 250);
    const seen: number[] = [];
    manager.subscribe((s) => void seen.push(amountOf(s)), { name: 'all', batchSize: 40 });
    await manager.start();
    await waitFor(() => seen.length === 250, 'catch-up');
    await appendDeposits(store, 50, { start: 251 });
    await waitFor(() => seen.length === 300, 'live events');
    expect(seen).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect((await manager.status('all')).state).toBe('live');
  });

  it('delivers events appended continuously during catch-up exactly once, in the store order', async () => {
    const { store, manager } = setup();
    await appendDeposits(store, 500, { accounts: 7 });
    const seen: string[] = [];
    manager.subscribe(
      async (s) => {
        seen.push(s.event.eventId);
        if (seen.length % 50 === 0) await new Promise((r) => setTimeout(r, 1));
      },
      { name: 'all', batchSize: 25 },
    );
    await manager.start();
    const writers = [1, 2, 3].map((w) => appendDeposits(store, 300, { accounts: 11, start: 1000 * w, perAppend: 3 }));
    await Promise.all(writers);
    const expected = (await feed(store)).map((s) => s.event.eventId);
    expect(expected).toHaveLength(1400);
    await waitFor(() => seen.length >= 1400, 'all events');
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(expected);
  });

  it('falls back to polling when no wake-up comes', async () => {
    const store = new InMemoryEventStore({ registry });
    const manager = new SubscriptionManager({ store, pollIntervalMs: 20 });
    managers.push(manager);
    const seen: number[] = [];
    manager.subscribe((s) => void seen.push(amountOf(s)), { name: 'polled' });
    await manager.start();
    await new Promise((r) => setTimeout(r, 30));
    await appendDeposits(store, 3);
    await waitFor(() => seen.length === 3, 'polled delivery', 2000);
  });

  it('pushes event type, aggregate type and tenant filters to the feed', async () => {
    const { store, manager } = setup();
    await appendDeposits(store, 3);
    await store.appendToStream('Note-1', [new Noted({ text: 'n' }, { aggregateId: '1' })], { expectedVersion: 'any' });
    await appendDeposits(store, 2, { start: 10, tenantId: 't1' });
    const byType: string[] = [];
    const byTenant: number[] = [];
    manager.subscribe((s) => void byType.push(s.event.eventType), { name: 'notes', aggregateTypes: ['Note'] });
    manager.subscribe((s) => void byTenant.push(amountOf(s)), {
      name: 't1',
      tenantId: 't1',
      eventTypes: ['Deposited'],
    });
    await manager.start();
    await waitFor(() => byType.length === 1 && byTenant.length === 2, 'filtered events');
    expect(byType).toEqual(['Noted']);
    expect(byTenant).toEqual([10, 11]);
  });

  it('rejects a duplicate name and reports unknown names', async () => {
    const { manager } = setup();
    manager.subscribe(() => undefined, { name: 'x' });
    expect(() => manager.subscribe(() => undefined, { name: 'x' })).toThrow(DuplicateSubscriptionError);
    await expect(manager.status('nope')).rejects.toThrow(SubscriptionNotFoundError);
  });

  it('hands batch handlers pages of at most batchSize events', async () => {
    const { store, manager } = setup();
    await appendDeposits(store, 95);
    const sizes: number[] = [];
    const seen: number[] = [];
    manager.subscribe(
      {
        handleBatch(batch) {
          sizes.push(batch.length);
          seen.push(...batch.map(amountOf));
        },
      },
      { name: 'batches', batchSize: 20 },
    );
    await manager.start();
    await waitFor(() => seen.length === 95, 'batches');
    expect(sizes).toEqual([20, 20, 20, 20, 15]);
    expect(seen).toEqual(Array.from({ length: 95 }, (_, i) => i + 1));
  });
});

describe('SubscriptionManager: start positions and checkpoints', () => {
  it('resumes after its checkpoint, or starts where startFrom says', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    const { store, manager } = setup({ checkpoints });
    await appendDeposits(store, 10);
    const first: number[] = [];
    manager.subscribe((s) => void first.push(amountOf(s)), { name: 'resume' });
    await manager.start();
    await waitFor(() => first.length === 10, 'first run');
    await manager.stop();
    await appendDeposits(store, 5, { start: 11 });

    const events = await feed(store);
    const again = new SubscriptionManager({ store, checkpoints, pollIntervalMs: 20 });
    managers.push(again);
    const resumed: number[] = [];
    const fromEnd: number[] = [];
    const fromStart: number[] = [];
    const fromPosition: number[] = [];
    again.subscribe((s) => void resumed.push(amountOf(s)), { name: 'resume', startFrom: 'checkpoint' });
    again.subscribe((s) => void fromEnd.push(amountOf(s)), { name: 'end', startFrom: 'end' });
    again.subscribe((s) => void fromStart.push(amountOf(s)), { name: 'start', startFrom: 'beginning' });
    again.subscribe((s) => void fromPosition.push(amountOf(s)), { name: 'pos', startFrom: events[12]!.position });
    await again.start();
    await waitFor(() => resumed.length === 5 && fromStart.length === 15 && fromPosition.length === 2, 'second run');
    await appendDeposits(store, 1, { start: 16 });
    await waitFor(
      () => fromEnd.length === 1 && resumed.length === 6 && fromPosition.length === 3,
      'event 16 everywhere',
    );
    expect(resumed).toEqual([11, 12, 13, 14, 15, 16]);
    expect(fromEnd).toEqual([16]);
    expect(fromPosition).toEqual([14, 15, 16]);
    const last = (await feed(store)).at(-1)!;
    await waitFor(
      async () => (await checkpoints.load('resume'))?.equals(last.position) === true,
      'checkpoint at the end',
    );
  });

  it('keeps checkpoints monotonic and refuses a stale compare-and-set', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    const p = (n: number) => Position.of('memory:x', n);
    expect(await checkpoints.save('c', p(5))).toBe(true);
    expect(await checkpoints.save('c', p(3))).toBe(false);
    expect((await checkpoints.load('c'))?.value).toBe(5n);
    await expect(checkpoints.save('c', p(9), { expected: p(4) })).rejects.toMatchObject({
      code: 'CHECKPOINT.CONFLICT',
    });
    expect(await checkpoints.save('c', p(9), { expected: p(5) })).toBe(true);
    await checkpoints.reset('c', p(1));
    expect((await checkpoints.load('c'))?.value).toBe(1n);
  });
});

describe('SubscriptionManager: failures', () => {
  it('retries with backoff, then parks the event with its error and moves on', async () => {
    const deadLetters = new InMemoryDeadLetterQueue();
    const { store, manager } = setup({ deadLetters });
    await appendDeposits(store, 5);
    const attempts = new Map<number, number>();
    const done: number[] = [];
    manager.subscribe(
      (s) => {
        const amount = amountOf(s);
        attempts.set(amount, (attempts.get(amount) ?? 0) + 1);
        if (amount === 3) throw new TypeError('cannot handle 3');
        done.push(amount);
      },
      { name: 'flaky', retry: fastRetry },
    );
    await manager.start();
    await waitFor(() => done.length === 4, 'other events');
    expect(done).toEqual([1, 2, 4, 5]);
    expect(attempts.get(3)).toBe(3);
    const [entry, ...rest] = await deadLetters.list();
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({ subscription: 'flaky', eventType: 'Deposited', attempts: 3, status: 'pending' });
    expect(entry!.error).toBe('TypeError: cannot handle 3');
    expect(entry!.stack).toContain('cannot handle 3');
    const events = await feed(store);
    expect(entry!.position.equals(events[2]!.position)).toBe(true);
    const status = await manager.status('flaky');
    expect(status).toMatchObject({ deadLettered: 1, errorCount: 3, lagEvents: 0, processed: 4 });
  });

  it('parks what a handler threw that is not an Error, or an Error without a message, with a readable error', async () => {
    const deadLetters = new InMemoryDeadLetterQueue();
    const { store, manager } = setup({ deadLetters });
    await appendDeposits(store, 4);
    const thrown: unknown[] = [{ code: 42 }, 'insufficient funds', undefined, new TypeError('')];
    manager.subscribe(
      (s) => {
        throw thrown[amountOf(s) - 1];
      },
      { name: 'fixbus-throws', retry: fastRetry },
    );
    await manager.start();
    await waitFor(async () => (await deadLetters.list()).length === 4, 'four parked events');
    const entries = (await deadLetters.list()).sort((a, b) => Number(a.position.value - b.position.value));
    expect(entries.map((e) => e.error)).toEqual([
      '{"code":42}',
      'insufficient funds',
      'undefined was thrown, not an Error',
      'TypeError (no message)',
    ]);
    expect(entries.map((e) => e.stack === null)).toEqual([true, true, true, false]);
  });

  it('with stopOnError, stops and keeps the checkpoint before the failing event', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    const { store, manager } = setup({ checkpoints });
    await appendDeposits(store, 5);
    const done: number[] = [];
    manager.subscribe(
      (s) => {
        if (amountOf(s) === 4) throw new Error('boom');
        done.push(amountOf(s));
      },
      { name: 'strict', stopOnError: true, retry: fastRetry },
    );
    await manager.start();
    await waitFor(async () => (await manager.status('strict')).state === 'failed', 'failed state');
    const events = await feed(store);
    expect(done).toEqual([1, 2, 3]);
    expect((await checkpoints.load('strict'))!.equals(events[2]!.position)).toBe(true);
    const status = await manager.status('strict');
    expect(status.failure).toMatchObject({
      kind: 'handler',
      message: 'Error: boom',
      eventId: events[3]!.event.eventId,
    });
    expect(status.lagEvents).toBe(2);
    expect(await manager.deadLetters.list()).toEqual([]);
  });

  it('times out a hanging handler and parks its event', async () => {
    const { store, manager } = setup();
    await appendDeposits(store, 2);
    const done: number[] = [];
    let aborted = 0;
    manager.subscribe(
      (s, context) => {
        if (amountOf(s) === 1) {
          context.signal.addEventListener('abort', () => aborted++);
          return new Promise(() => undefined);
        }
        done.push(amountOf(s));
      },
      { name: 'hang', handlerTimeoutMs: 30, retry: { ...fastRetry, maxAttempts: 2 } },
    );
    await manager.start();
    await waitFor(() => done.length === 1, 'event after the hanging one');
    const [entry] = await manager.deadLetters.list();
    expect(entry!.error).toContain(HandlerTimeoutError.name);
    expect(aborted).toBe(2);
  });

  it('isolates a failing subscription from the others', async () => {
    const { store, manager } = setup();
    await appendDeposits(store, 20);
    const healthy: number[] = [];
    manager.subscribe(
      () => {
        throw new Error('always');
      },
      { name: 'broken', stopOnError: true, retry: fastRetry },
    );
    manager.subscribe(
      () => {
        throw new Error('always');
      },
      { name: 'parking', retry: fastRetry },
    );
    manager.subscribe((s) => void healthy.push(amountOf(s)), { name: 'healthy' });
    await manager.start();
    await appendDeposits(store, 5, { start: 21 });
    await waitFor(() => healthy.length === 25, 'healthy subscription');
    await waitFor(async () => (await manager.deadLetters.stats()).byStatus.pending === 25, 'parking subscription');
    expect((await manager.status('broken')).state).toBe('failed');
  });

  it('falls back from a failing batch to single events and parks only the poison one', async () => {
    const { store, manager } = setup();
    await appendDeposits(store, 10);
    const seen: number[] = [];
    manager.subscribe(
      {
        handleBatch(batch) {
          if (batch.some((s) => amountOf(s) === 7)) throw new Error('poison 7');
          seen.push(...batch.map(amountOf));
        },
      },
      { name: 'batch', batchSize: 5, retry: fastRetry },
    );
    await manager.start();
    await waitFor(() => seen.length === 9, 'the good events');
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 8, 9, 10]);
    const parked = await manager.deadLetters.list();
    expect(parked.map((e) => (e.record.data as { amount: number }).amount)).toEqual([7]);
  });
});

describe('SubscriptionManager: dead-letter retries', () => {
  it('re-delivers parked events through the same handler, counting failed attempts', async () => {
    const { store, manager } = setup();
    await appendDeposits(store, 4);
    let broken = true;
    const handled: number[] = [];
    manager.subscribe(
      (s, context) => {
        if (broken && amountOf(s) % 2 === 0) throw new Error(`even ${amountOf(s)}`);
        handled.push(context.redelivery ? -amountOf(s) : amountOf(s));
      },
      { name: 'evens', retry: { ...fastRetry, maxAttempts: 2 } },
    );
    await manager.start();
    await waitFor(async () => (await manager.deadLetters.list()).length === 2, 'two parked');
    const [first] = await manager.deadLetters.list();
    expect(await manager.retryDeadLetter(first!.id)).toBe('failed');
    expect(await manager.deadLetters.get(first!.id)).toMatchObject({
      attempts: 3,
      status: 'pending',
      error: 'Error: even 2',
    });

    broken = false;
    expect(await manager.retryDeadLetters({ subscription: 'evens', by: 'ops' })).toEqual({
      resolved: 2,
      failed: 0,
      skipped: 0,
    });
    expect(handled).toEqual([1, 3, -2, -4]);
    const entries = await manager.deadLetters.list();
    expect(entries.map((e) => [e.status, e.resolvedBy])).toEqual([
      ['resolved', 'ops'],
      ['resolved', 'ops'],
    ]);
    expect(await manager.retryDeadLetter(first!.id)).toBe('skipped');
    expect(await manager.deadLetters.purgeResolved()).toBe(2);
    expect((await manager.deadLetters.stats()).total).toBe(0);
  });
});

describe('SubscriptionManager: lifecycle', () => {
  it('pauses and resumes', async () => {
    const { store, manager } = setup();
    const seen: number[] = [];
    manager.subscribe((s) => void seen.push(amountOf(s)), { name: 'p' });
    await manager.start();
    await appendDeposits(store, 3);
    await waitFor(() => seen.length === 3, 'first events');
    await manager.pause('p');
    await appendDeposits(store, 3, { start: 4 });
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toHaveLength(3);
    expect((await manager.status('p')).state).toBe('paused');
    expect((await manager.status('p')).lagEvents).toBe(3);
    manager.resume('p');
    await waitFor(() => seen.length === 6, 'events after resume');
  });

  it('stops gracefully: the batch in flight finishes and is checkpointed', async () => {
    const checkpoints = new InMemoryCheckpointStore();
    const { store, manager } = setup({ checkpoints });
    await appendDeposits(store, 10);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const seen: number[] = [];
    manager.subscribe(
      {
        async handleBatch(batch) {
          await gate;
          seen.push(...batch.map(amountOf));
        },
      },
      { name: 'graceful', batchSize: 4 },
    );
    await manager.start();
    await new Promise((r) => setTimeout(r, 20));
    const stopping = manager.stop(5_000);
    setTimeout(release, 30);
    expect(await stopping).toEqual([]);
    expect(seen).toEqual([1, 2, 3, 4]);
    const events = await feed(store);
    expect((await checkpoints.load('graceful'))!.equals(events[3]!.position)).toBe(true);
    expect((await manager.status('graceful')).state).toBe('stopped');
  });

  it('forces a stop after its timeout and aborts the handler', async () => {
    const { store, manager } = setup();
    await appendDeposits(store, 1);
    let aborted = false;
    manager.subscribe(
      (_s, context) =>
        new Promise<void>((_, reject) =>
          context.signal.addEventListener('abort', () => ((aborted = true), reject(new Error('aborted')))),
        ),
      { name: 'stuck', handlerTimeoutMs: 60_000 },
    );
    await manager.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(await manager.stop(30)).toEqual(['stuck']);
    expect(aborted).toBe(true);
  });

  it('reports lag in events and seconds', async () => {
    const { store, manager } = setup();
    await appendDeposits(store, 12);
    manager.subscribe(() => undefined, { name: 'lazy' });
    const before = await manager.status('lazy');
    expect(before).toMatchObject({ state: 'idle', position: null, lagEvents: 12, lagEventsCapped: false });
    expect(before.lagSeconds).toBeGreaterThanOrEqual(0);
    const capped = new SubscriptionManager({ store, lagCountLimit: 5 });
    capped.subscribe(() => undefined, { name: 'lazy' });
    expect(await capped.status('lazy')).toMatchObject({ lagEvents: 5, lagEventsCapped: true });
    await manager.start();
    await waitFor(async () => (await manager.status('lazy')).lagEvents === 0, 'caught up');
    expect((await manager.status('lazy')).lagSeconds).toBe(0);
  });

  it('lets only one of two managers sharing a lock run a subscription, and fails over', async () => {
    const lock = new InMemorySubscriptionLock();
    const checkpoints = new InMemoryCheckpointStore();
    const { store, manager: a, signal } = setup({ lock, checkpoints, lockRetryMs: 10 });
    const b = new SubscriptionManager({
      store,
      lock,
      checkpoints,
      wakeUps: [signal],
      lockRetryMs: 10,
      pollIntervalMs: 50,
    });
    managers.push(b);
    const byA: number[] = [];
    const byB: number[] = [];
    a.subscribe((s) => void byA.push(amountOf(s)), { name: 'single' });
    b.subscribe((s) => void byB.push(amountOf(s)), { name: 'single' });
    await a.start();
    await b.start();
    await appendDeposits(store, 5);
    await waitFor(() => byA.length === 5, 'a processes');
    expect((await b.status('single')).state).toBe('standby');
    await a.stop();
    await appendDeposits(store, 5, { start: 6 });
    await waitFor(() => byB.length === 5, 'b takes over');
    expect(byA).toEqual([1, 2, 3, 4, 5]);
    expect(byB).toEqual([6, 7, 8, 9, 10]);
  });

  it('runUntilSignal stops gracefully on SIGTERM', async () => {
    const { store, manager } = setup();
    const seen: number[] = [];
    manager.subscribe((s) => void seen.push(amountOf(s)), { name: 'signal' });
    const running = manager.runUntilSignal({ stopTimeoutMs: 1000 });
    await appendDeposits(store, 2);
    await waitFor(() => seen.length === 2, 'events before the signal');
    process.emit('SIGTERM', 'SIGTERM');
    await running;
    expect((await manager.status('signal')).state).toBe('stopped');
  });

  it('lets a store-transactional handler append events atomically with its checkpoint', async () => {
    const { store, manager } = setup();
    manager.subscribe(
      async (s, context) => {
        await context.transaction!.appendToStream(
          'Note-audit',
          [new Noted({ text: `saw ${amountOf(s)}` }, { aggregateId: 'audit' })],
          {
            expectedVersion: 'any',
          },
        );
      },
      { name: 'auditor', eventTypes: ['Deposited'], transaction: 'store' },
    );
    await manager.start();
    await appendDeposits(store, 3);
    await waitFor(async () => (await store.getStreamVersion('Note-audit')) === 3, 'audit notes');
    const notes = await feed(store, { eventTypes: ['Noted'] });
    expect(notes.map((n) => (n.event as Noted).data.text)).toEqual(['saw 1', 'saw 2', 'saw 3']);
  });
});

describe('SubscriptionManager: bus wake-ups', () => {
  it('wakes on a bus message (published by the outbox relay) and reads the store', async () => {
    const store = new InMemoryEventStore({ registry });
    const bus = new InMemoryEventBus({ registry });
    const outbox = new InMemoryOutboxStore();
    const relay = new OutboxRelay(outbox, bus);
    const manager = new SubscriptionManager({ store, wakeUps: [new BusWakeUp(bus)], pollIntervalMs: 600_000 });
    managers.push(manager);
    const seen: number[] = [];
    manager.subscribe((s) => void seen.push(amountOf(s)), { name: 'bus-woken' });
    try {
      await manager.start();
      await waitFor(async () => (await manager.status('bus-woken')).state === 'live', 'live');
      await store.transaction(async (tx) => {
        const events = [
          new Deposited({ amount: 1 }, { aggregateId: 'b' }),
          new Deposited({ amount: 2 }, { aggregateId: 'b' }),
        ];
        await tx.appendToStream('Account-b', events, { expectedVersion: 'no_stream' });
        await outbox.add(events, { transaction: tx });
      });
      await new Promise((r) => setTimeout(r, 50));
      expect(seen).toEqual([]); // no poll, no hint yet
      expect(await relay.drain()).toBe(2);
      await waitFor(() => seen.length === 2, 'bus-woken delivery', 5_000);
      expect(seen).toEqual([1, 2]);
    } finally {
      await manager.stop();
      await bus.close();
    }
  });
});
