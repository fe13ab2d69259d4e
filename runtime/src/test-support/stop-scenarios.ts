/**
 * How a subscription stops and starts again, run against each store (in memory, SQLite,
 * PostgreSQL, MariaDB): a stop ends at an event boundary, a forced stop lets nothing more be
 * handled or written once it has returned, and `start()` works after either.
 *
 * Handlers here wait on gates the test opens, never on timers, and ignore `context.signal` on
 * purpose (a handler that does not listen is what a forced stop must survive).
 */
import { describe, expect, it } from 'vitest';
import type { EventStore, StoredEvent } from '../store/event-store.js';
import type { Position } from '../store/position.js';
import type { CheckpointStore } from '../subscriptions/checkpoint-store.js';
import type { DeadLetterQueue } from '../subscriptions/dead-letter-queue.js';
import type { SubscriptionLock } from '../subscriptions/subscription-lock.js';
import { SubscriptionManager } from '../subscriptions/subscription-manager.js';
import type {
  BatchEventHandler,
  EventHandlerFunction,
  HandlerContext,
  SubscriptionOptions,
} from '../subscriptions/subscription-options.js';
import { appendDeposits, feed, Noted, waitFor, type Deposited } from './subscription-fixtures.js';

export interface StopEnvironment {
  readonly store: EventStore;
  /** What the manager saves checkpoints to. */
  readonly checkpoints: CheckpointStore;
  /**
   * Reads the same checkpoints without waiting for the manager (on SQLite, through another
   * connection: the store's own waits while a handler holds a transaction open).
   */
  readonly inspect: CheckpointStore;
  readonly deadLetters: DeadLetterQueue;
  readonly lock: SubscriptionLock;
  close(): Promise<void>;
}

export interface StopTarget {
  readonly name: string;
  /**
   * True when an append in a transaction held open holds up every other append until it ends (SQLite's
   * one writer, the in-memory store, MariaDB's position allocator): a store-transactional takeover waits.
   */
  readonly serialAppends?: boolean;
  open(): Promise<StopEnvironment>;
}

type Mode = 'none' | 'store';

/** Every case, once for handlers without a transaction and once in store transactions. */
export function stopScenarios(target: StopTarget): void {
  for (const mode of ['none', 'store'] as const) {
    describe(mode === 'none' ? 'handlers without a transaction' : 'handlers in store transactions', () =>
      cases(target, mode),
    );
  }
}

const amountOf = (s: StoredEvent) => (s.event as Deposited).data.amount;
const DEADLINE = 20_000;

interface Gate {
  readonly opened: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

interface Harness {
  readonly env: StopEnvironment;
  readonly manager: SubscriptionManager;
  /** Another manager (another process) on the same store, checkpoints and lock. */
  another(): SubscriptionManager;
  /** Every checkpoint save, and whether a lock handle was held when it was made. */
  readonly saves: { position: string; held: boolean }[];
  /** Gates opened when the test ends, whatever happened. */
  readonly gates: Gate[];
}

async function withHarness(target: StopTarget, fn: (h: Harness) => Promise<void>): Promise<void> {
  const env = await target.open();
  const saves: Harness['saves'] = [];
  let held = 0;
  const lock: SubscriptionLock = {
    async tryAcquire(name) {
      const handle = await env.lock.tryAcquire(name);
      if (!handle) return undefined;
      held++;
      let mine = true;
      return {
        get held() {
          return handle.held;
        },
        release: async () => {
          if (mine) held--;
          mine = false;
          await handle.release();
        },
      };
    },
  };
  const inner = env.checkpoints;
  const checkpoints: CheckpointStore = {
    durable: inner.durable,
    transactional: inner.transactional,
    load: (name) => inner.load(name),
    save: (name, position, options) => {
      saves.push({ position: position.toString(), held: held > 0 });
      return inner.save(name, position, options);
    },
    reset: (name, position, options) => inner.reset(name, position, options),
    list: () => inner.list(),
  };
  const managers: SubscriptionManager[] = [];
  const another = () => {
    const manager = new SubscriptionManager({
      store: env.store,
      checkpoints,
      deadLetters: env.deadLetters,
      lock,
      pollIntervalMs: 20,
      lockRetryMs: 20,
    });
    managers.push(manager);
    return manager;
  };
  const gates: Gate[] = [];
  try {
    await fn({ env, manager: another(), another, saves, gates });
  } finally {
    for (const g of gates) g.open();
    await Promise.all(managers.map((m) => m.stop(DEADLINE).catch(() => undefined)));
    await env.close();
  }
}

/** Calls in order, and the most that ran at once (two would mean two loops of one subscription). */
class Calls {
  readonly amounts: number[] = [];
  readonly batches: number[][] = [];
  #active = 0;
  maxActive = 0;

  /** In store transactions, each call appends a note per event to `noteStream`. */
  constructor(readonly noteStream = 'Note-audit') {}

  async around(
    amounts: number[],
    mode: Mode,
    context: HandlerContext,
    then: () => Promise<void> | undefined,
  ): Promise<void> {
    this.#active++;
    this.maxActive = Math.max(this.maxActive, this.#active);
    try {
      if (mode === 'store') {
        const notes = amounts.map((amount) => new Noted({ text: `saw ${amount}` }, { aggregateId: 'audit' }));
        await context.transaction!.appendToStream(this.noteStream, notes, { expectedVersion: 'any' });
      }
      await then();
    } finally {
      this.#active--;
    }
  }

  /** One event at a time; `block` may hold a call (by amount and call number) until a gate opens. */
  handler(mode: Mode, block: (amount: number, call: number) => Promise<void> | undefined): EventHandlerFunction {
    return (stored, context) => {
      const amount = amountOf(stored);
      this.amounts.push(amount);
      return this.around([amount], mode, context, () => block(amount, this.amounts.length));
    };
  }

  batchHandler(mode: Mode, block: (batch: number) => Promise<void> | undefined): BatchEventHandler {
    return {
      handleBatch: (events, context) => {
        const amounts = events.map(amountOf);
        this.batches.push(amounts);
        return this.around(amounts, mode, context, () => block(this.batches.length));
      },
    };
  }
}

function options(name: string, mode: Mode, batchSize: number): SubscriptionOptions {
  return { name, batchSize, eventTypes: ['Deposited'], ...(mode === 'store' ? { transaction: 'store' as const } : {}) };
}

async function notes(store: EventStore): Promise<string[]> {
  return (await feed(store, { eventTypes: ['Noted'] })).map((s) => (s.event as Noted).data.text);
}

function token(position: Position | null | undefined): string | null {
  return position?.toString() ?? null;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

function cases(target: StopTarget, mode: Mode): void {
  it('a forced stop lets the handler in flight run on, but nothing is handled or written after it returns', async () => {
    await withHarness(target, async ({ env, manager, saves, gates }) => {
      await appendDeposits(env.store, 4);
      const events = await feed(env.store);
      const held = gate();
      gates.push(held);
      const calls = new Calls();
      manager.subscribe(
        calls.handler(mode, (amount) => (amount === 2 ? held.opened : undefined)),
        options('forced', mode, 10),
      );
      await manager.start();
      await waitFor(() => calls.amounts.length === 2, 'the second event in its handler', DEADLINE);
      expect(await manager.stop(100)).toEqual(['forced']);
      // The checkpoint is the last event whose write was made while the lock was held: without a
      // transaction, event 1 (saved by the stop); in a store transaction, nothing (the page's
      // transaction was still open).
      const checkpoint = mode === 'none' ? events[0]!.position.toString() : null;
      expect(token(await env.inspect.load('forced'))).toBe(checkpoint);

      held.open();
      expect(await manager.stop(DEADLINE)).toEqual([]); // returns once the abandoned handler's loop has ended
      expect(calls.amounts).toEqual([1, 2]);
      expect(token(await env.inspect.load('forced'))).toBe(checkpoint);
      expect(saves.filter((s) => !s.held)).toEqual([]);
      if (mode === 'store') expect(await notes(env.store)).toEqual([]);
      expect((await manager.status('forced')).state).toBe('stopped');
    });
  });

  it.skipIf(mode === 'store' && target.serialAppends)(
    'a forced stop gives the lock up at once: another process takes over, and the abandoned handler writes nothing over its work',
    async () => {
      await withHarness(target, async ({ env, manager, another, saves, gates }) => {
        await appendDeposits(env.store, 4);
        const last = (await feed(env.store)).at(-1)!.position.toString();
        const held = gate();
        gates.push(held);
        const abandoned = new Calls('Note-abandoned'); // its open transaction must not hold up the other's appends
        const takeover = new Calls();
        manager.subscribe(
          abandoned.handler(mode, (_amount, call) => (call === 1 ? held.opened : undefined)),
          options('shared', mode, 10),
        );
        const standby = another();
        standby.subscribe(
          takeover.handler(mode, () => undefined),
          options('shared', mode, 10),
        );
        await manager.start();
        await waitFor(() => abandoned.amounts.length === 1, 'the first event in its handler', DEADLINE);
        await standby.start();
        expect(await manager.stop(100)).toEqual(['shared']);
        await waitFor(
          async () => token(await env.inspect.load('shared')) === last,
          'the other process at the end',
          DEADLINE,
        );
        held.open();
        expect(await manager.stop(DEADLINE)).toEqual([]);
        expect(abandoned.amounts).toEqual([1]);
        expect(takeover.amounts).toEqual([1, 2, 3, 4]);
        expect(token(await env.inspect.load('shared'))).toBe(last);
        expect(saves.filter((s) => !s.held)).toEqual([]);
        if (mode === 'store') expect(await notes(env.store)).toEqual(range(1, 4).map((n) => `saw ${n}`));
      });
    },
  );

  it('start() after a forced stop waits for the abandoned handler, then goes on from the checkpoint and stays live', async () => {
    await withHarness(target, async ({ env, manager, saves, gates }) => {
      await appendDeposits(env.store, 4);
      const held = gate();
      gates.push(held);
      const calls = new Calls();
      manager.subscribe(
        calls.handler(mode, (_amount, call) => (call === 1 ? held.opened : undefined)),
        options('restarted', mode, 10),
      );
      await manager.start();
      await waitFor(() => calls.amounts.length === 1, 'the first event in its handler', DEADLINE);
      expect(await manager.stop(100)).toEqual(['restarted']);
      await manager.start(); // while the abandoned handler still runs
      held.open();
      await appendDeposits(env.store, 1, { start: 5 });
      const last = (await feed(env.store, { eventTypes: ['Deposited'] })).at(-1)!;
      await waitFor(
        async () => calls.amounts.includes(5) && (await manager.status('restarted')).state === 'live',
        'the event appended after the restart, and the state live',
        DEADLINE,
      );
      // Event 1 was not checkpointed (it finished after the stop had returned): delivered again.
      expect(calls.amounts).toEqual([1, 1, 2, 3, 4, 5]);
      expect(calls.maxActive).toBe(1);
      await waitFor(
        async () => token(await env.inspect.load('restarted')) === last.position.toString(),
        'the checkpoint at the end',
        DEADLINE,
      );
      expect(saves.filter((s) => !s.held)).toEqual([]);
      if (mode === 'store') expect(await notes(env.store)).toEqual(range(1, 5).map((n) => `saw ${n}`));
    });
  });

  it('a graceful stop finishes the handler in flight and stops at the next event, checkpointed, however large the page', async () => {
    await withHarness(target, async ({ env, manager, gates }) => {
      await appendDeposits(env.store, 30);
      const events = await feed(env.store);
      const held = gate();
      gates.push(held);
      const calls = new Calls();
      manager.subscribe(
        calls.handler(mode, (amount) => (amount === 3 ? held.opened : undefined)),
        options('graceful', mode, 100),
      );
      await manager.start();
      await waitFor(() => calls.amounts.length === 3, 'the third event in its handler', DEADLINE);
      const stopping = manager.stop(DEADLINE);
      held.open();
      expect(await stopping).toEqual([]);
      expect(calls.amounts).toEqual([1, 2, 3]);
      expect(token(await env.inspect.load('graceful'))).toBe(events[2]!.position.toString());
      expect((await manager.status('graceful')).state).toBe('stopped');
      if (mode === 'store') expect(await notes(env.store)).toEqual(['saw 1', 'saw 2', 'saw 3']);

      await manager.start();
      await waitFor(() => calls.amounts.length >= 30, 'the rest after a restart', DEADLINE);
      expect(calls.amounts).toEqual(range(1, 30));
    });
  });

  it("a batch handler's batch in flight commits whole with its checkpoint, or not at all when the stop is forced", async () => {
    await withHarness(target, async ({ env, manager, saves, gates }) => {
      await appendDeposits(env.store, 10);
      const events = await feed(env.store);
      const first = gate();
      const later = gate();
      gates.push(first, later);
      const calls = new Calls();
      manager.subscribe(
        calls.batchHandler(mode, (batch) => (batch === 1 ? first.opened : batch === 2 ? later.opened : undefined)),
        options('batches', mode, 4),
      );
      await manager.start();
      await waitFor(() => calls.batches.length === 1, 'the first batch in its handler', DEADLINE);
      expect(await manager.stop(100)).toEqual(['batches']);
      first.open();
      expect(await manager.stop(DEADLINE)).toEqual([]);
      expect(calls.batches).toEqual([[1, 2, 3, 4]]);
      expect(await env.inspect.load('batches')).toBeNull();
      if (mode === 'store') expect(await notes(env.store)).toEqual([]);

      // Restarted, it delivers the same batch again; stopped gracefully during it, the batch completes.
      await manager.start();
      await waitFor(() => calls.batches.length === 2, 'the first batch again', DEADLINE);
      const stopping = manager.stop(DEADLINE);
      later.open();
      expect(await stopping).toEqual([]);
      expect(calls.batches).toEqual([
        [1, 2, 3, 4],
        [1, 2, 3, 4],
      ]);
      expect(token(await env.inspect.load('batches'))).toBe(events[3]!.position.toString());
      if (mode === 'store') expect(await notes(env.store)).toEqual(range(1, 4).map((n) => `saw ${n}`));
      expect(saves.filter((s) => !s.held)).toEqual([]);
      expect(calls.maxActive).toBe(1);
    });
  });
}
