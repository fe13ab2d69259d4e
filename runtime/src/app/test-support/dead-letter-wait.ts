// waitForProjections and the dead-letter queue, run on every store by the unit (memory, SQLite)
// and integration (PostgreSQL, MariaDB) tests.
import type { Kysely } from 'kysely';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { EventsmithError, InvalidArgumentError } from '../../errors.js';
import { defineProjection } from '../../projections/projection.js';
import type { EventStore } from '../../store/event-store.js';
import { defineApp } from '../app-definition.js';
import { ProjectionDeadLetteredError, ProjectionWaitTimeoutError } from '../app-errors.js';
import { createApp, type App } from '../create-app.js';
import { reserveStock, shopApp, shopClasses, stockLevels, type StockReceived } from './shop-app.js';

/** A store (and read-model database, when the store has none) for one test. */
export interface DeadLetterWaitTarget {
  open(): Promise<{ store: EventStore; database?: Kysely<any>; close(): Promise<void> }>;
}

/**
 * The quantities FussyReceipts applied (a set: a batch that fails is handled again one event at a
 * time); it fails on `unlucky`, so that event is dead-lettered.
 */
const fussy = { unlucky: 13 as number | null, applied: new Set<number>() };

const fussyReceipts = defineProjection({
  name: 'FussyReceipts',
  eventTypes: ['StockReceived'],
  tables: [],
  async handle({ event }) {
    const { quantity } = (event as StockReceived).data;
    if (quantity === fussy.unlucky) throw new Error(`unlucky ${quantity}`);
    fussy.applied.add(quantity);
  },
});

const fussyApp = defineApp({
  domain: 'AppTestFussy',
  aggregates: shopApp.aggregates,
  projectionMigrations: shopApp.projectionMigrations!,
  projections: () => [stockLevels, fussyReceipts],
  reactions: [reserveStock],
});

type FussyApp = App<typeof fussyApp.aggregates, typeof shopClasses>;

const quiet = { warn: () => undefined, error: () => undefined };

export function deadLetterWaitSuite(target: DeadLetterWaitTarget): void {
  let opened: Awaited<ReturnType<DeadLetterWaitTarget['open']>>;
  let app: FussyApp;

  beforeEach(async () => {
    opened = await target.open();
    fussy.unlucky = 13;
    fussy.applied = new Set();
    app = await createApp(fussyApp, {
      store: opened.store,
      database: opened.database,
      aggregates: shopClasses,
      logger: quiet,
      subscriptions: { pollIntervalMs: 50, retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 5 } },
    });
  });
  afterEach(async () => {
    await app.close();
    await opened.close();
  });

  const parked = async (subscription: string) => {
    const entries = await app.manager.deadLetters.list({ subscription, status: ['pending', 'retrying'] });
    expect(entries).toHaveLength(1);
    return entries[0]!;
  };
  const refusal = (options: Parameters<FussyApp['waitForProjections']>[0]) =>
    app.waitForProjections(options).then(
      () => undefined,
      (error: unknown) => error,
    );

  it('rejects once a projection has dead-lettered an event up to the position, naming it, the event and the fix', async () => {
    await app.stock.receive('MUG', { quantity: 5 });
    const bad = await app.stock.receive('MUG', { quantity: 13 });
    const error = await refusal({ position: bad.position });
    expect(error).toBeInstanceOf(ProjectionDeadLetteredError);
    expect(error).toBeInstanceOf(EventsmithError);
    const entry = await parked('FussyReceipts');
    const refused = error as ProjectionDeadLetteredError;
    expect(refused.code).toBe('APP.PROJECTION_DEAD_LETTERED');
    expect(refused.position.equals(bad.position!)).toBe(true);
    expect(refused.projections).toEqual(['FussyReceipts']);
    expect(refused.deadLettered).toHaveLength(1);
    const [dead] = refused.deadLettered;
    expect(dead).toMatchObject({
      name: 'FussyReceipts',
      deadLetterId: entry.id,
      status: 'pending',
      eventId: bad.events[0]!.eventId,
      eventType: 'StockReceived',
      streamId: 'Stock-MUG',
      error: 'Error: unlucky 13',
    });
    expect(dead!.position.equals(bad.position!)).toBe(true);
    for (const text of [
      `FussyReceipts dead-lettered StockReceived ${bad.events[0]!.eventId} of Stock-MUG at ${bad.position!.toString()} (dead letter ${entry.id}): Error: unlucky 13`,
      '`eventsmith dlq list --db <url> --subscription FussyReceipts`',
      '`eventsmith dlq retry <id>`',
      '`eventsmith dlq resolve <id>`',
      "{ deadLetters: 'ignore' }",
    ])
      expect(refused.message).toContain(text);
    // The other projection applied both events; waiting for everything stored so far refuses too.
    expect(await app.database!.selectFrom('app_test_stock_levels').selectAll().execute()).toEqual([
      { sku: 'MUG', available: 18 },
    ]);
    expect(await refusal({})).toBeInstanceOf(ProjectionDeadLetteredError);
    expect([...fussy.applied]).toEqual([5]);
  });

  it('resolves for a dead letter after the position, of a projection it does not wait for, or with deadLetters: ignore', async () => {
    const ok = await app.stock.receive('MUG', { quantity: 5 });
    const bad = await app.stock.receive('MUG', { quantity: 13 });
    await app.waitForProjections({ position: bad.position, deadLetters: 'ignore' });
    expect((await parked('FussyReceipts')).position.equals(bad.position!)).toBe(true);
    await app.waitForProjections({ position: ok.position });
    await app.waitForProjections({ position: bad.position, projections: ['StockLevels'] });
    await app.waitForProjections({ deadLetters: 'ignore' });
    expect([...fussy.applied]).toEqual([5]);
    expect(await refusal({ position: bad.position })).toBeInstanceOf(ProjectionDeadLetteredError);
  });

  it('resolves once the entry is resolved by an operator, or retried successfully after the fix', async () => {
    const first = await app.stock.receive('MUG', { quantity: 13 });
    expect(await refusal({ position: first.position })).toBeInstanceOf(ProjectionDeadLetteredError);
    await app.manager.deadLetters.resolve((await parked('FussyReceipts')).id, { by: 'ops' });
    await app.waitForProjections({ position: first.position });
    expect([...fussy.applied]).toEqual([]);

    const second = await app.stock.receive('MUG', { quantity: 13 });
    const error = await refusal({ position: second.position });
    expect((error as ProjectionDeadLetteredError).deadLettered.map((d) => d.eventId)).toEqual([
      second.events[0]!.eventId,
    ]);
    fussy.unlucky = null; // the handler is fixed
    expect(await app.manager.retryDeadLetter((await parked('FussyReceipts')).id)).toBe('resolved');
    await app.waitForProjections({ position: second.position });
    expect([...fussy.applied]).toEqual([13]);
  });

  it('a rebuild resolves the dead letters of events its new tables hold; one that fails again stays pending', async () => {
    const bad = await app.stock.receive('MUG', { quantity: 13 });
    expect(await refusal({ position: bad.position })).toBeInstanceOf(ProjectionDeadLetteredError);
    const entry = await parked('FussyReceipts');
    // Rebuilt with the bug still there: the event fails again and its entry stays.
    const again = await app.manager.rebuild('FussyReceipts');
    expect(again.failures.map((f) => f.eventId)).toEqual([bad.events[0]!.eventId]);
    expect(again.resolvedDeadLetters).toBe(0);
    expect((await parked('FussyReceipts')).id).toBe(entry.id);
    expect(await refusal({ position: bad.position })).toBeInstanceOf(ProjectionDeadLetteredError);

    fussy.unlucky = null; // the handler is fixed, and the projection rebuilt
    const fixed = await app.manager.rebuild('FussyReceipts');
    expect(fixed.failures).toEqual([]);
    expect(fixed.resolvedDeadLetters).toBe(1);
    expect(await app.manager.deadLetters.get(entry.id)).toMatchObject({ status: 'resolved', resolvedBy: 'rebuild' });
    await app.waitForProjections({ position: bad.position });
    expect([...fussy.applied]).toEqual([13]);
  });

  it('waits for an entry being retried and reports it on timeout; refuses again once it is back to pending', async () => {
    const bad = await app.stock.receive('MUG', { quantity: 13 });
    expect(await refusal({ position: bad.position })).toBeInstanceOf(ProjectionDeadLetteredError);
    const entry = await parked('FussyReceipts');
    expect(await app.manager.deadLetters.markRetrying(entry.id)).toBe(true);
    const timedOut = await refusal({ position: bad.position, timeout: 200 });
    expect(timedOut).toBeInstanceOf(ProjectionWaitTimeoutError);
    const behind = (timedOut as ProjectionWaitTimeoutError).behind;
    expect(behind.map((p) => [p.name, p.deadLetter?.deadLetterId, p.deadLetter?.status])).toEqual([
      ['FussyReceipts', entry.id, 'retrying'],
    ]);
    expect((timedOut as Error).message).toContain(`(dead letter ${entry.id}): Error: unlucky 13, being retried`);
    expect((timedOut as Error).message).toContain('`eventsmith dlq list --db <url> --subscription FussyReceipts`');
    await app.manager.deadLetters.release(entry.id);
    expect(await refusal({ position: bad.position })).toBeInstanceOf(ProjectionDeadLetteredError);
  });

  it('rejects for a reaction that dead-lettered its event only with includeReactions, until it is retried', async () => {
    const placed = await app.order.place('order-1', { sku: 'MUG', quantity: 2 }); // no stock: reserve is rejected
    const error = await refusal({ position: placed.position, includeReactions: true });
    expect(error).toBeInstanceOf(ProjectionDeadLetteredError);
    expect((error as ProjectionDeadLetteredError).deadLettered).toMatchObject([
      { name: 'ReserveStockOnOrderPlaced', eventId: placed.events[0]!.eventId, eventType: 'OrderPlaced' },
    ]);
    expect((error as Error).message).toMatch(/Only 0 of MUG left/);
    await app.waitForProjections({ position: placed.position });
    await app.stock.receive('MUG', { quantity: 5 });
    expect(await app.manager.retryDeadLetters()).toMatchObject({ resolved: 1 });
    await app.waitForProjections({ position: placed.position, includeReactions: true });
  });

  it('refuses a deadLetters option that is neither reject nor ignore, saying what to pass', async () => {
    const { position } = await app.stock.receive('MUG', { quantity: 5 });
    const error = await refusal({ position, deadLetters: 'skip' as 'ignore' });
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toContain("deadLetters must be 'reject' or 'ignore', got \"skip\"");
  });
}
