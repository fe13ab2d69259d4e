import { Migrator, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { toEventRecord } from '../../events/event-record.js';
import { InMemoryOutboxStore } from '../../outbox/in-memory-outbox-store.js';
import { OutboxRelay } from '../../outbox/outbox-relay.js';
import type { OutboxStore } from '../../outbox/outbox-store.js';
import { SqlOutboxStore } from '../../outbox/sql-outbox-store.js';
import { Position } from '../../store/position.js';
import { DomainEvent } from '../../events/domain-event.js';
import type { EventRecord } from '../../events/event-record.js';
import { TenantMismatchError } from '../../errors.js';
import { CheckpointConflictError, DeadLetterEntryNotFoundError } from '../subscription-errors.js';
import { Deposited } from '../../test-support/subscription-fixtures.js';
import { fakeStoreTransaction, SQL_TARGETS, type SqlTarget } from '../../test-support/sql-targets.js';
import { SqlCheckpointStore } from './sql-checkpoint-store.js';
import { InMemoryDeadLetterQueue } from '../in-memory-dead-letter-queue.js';
import { SqlDeadLetterQueue } from './sql-dead-letter-queue.js';
import { SqlLeaseLock } from './sql-lease-lock.js';
import {
  migrateSubscriptionTables,
  SUBSCRIPTION_MIGRATION_TABLE,
  subscriptionMigrations,
} from './subscription-tables.js';
import { PostgresAdvisoryLock } from './postgres-advisory-lock.js';

const p = (n: number | bigint) => Position.of('pg:test', n);

function deposit(account: string, amount: number): DomainEvent {
  return new Deposited({ amount }, { aggregateId: account, aggregateVersion: amount });
}

/** A publisher that records what it got and can be switched off. */
class RecordingPublisher {
  readonly published: EventRecord[] = [];
  down = false;
  async publish(events: readonly (DomainEvent | EventRecord)[]): Promise<void> {
    if (this.down) throw new Error('broker unreachable');
    await new Promise((r) => setTimeout(r, 1));
    for (const e of events) this.published.push(e instanceof DomainEvent ? toEventRecord(e) : e);
  }
}

function suite(target: SqlTarget) {
  let db: Kysely<any>;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ db, close } = await target.open());
    await migrateSubscriptionTables(db);
    await migrateSubscriptionTables(db); // idempotent
  });
  afterAll(async () => close?.());

  it('checkpoints: compare-and-set, monotonic, reset, list, and rolled back with their transaction', async () => {
    const checkpoints = new SqlCheckpointStore(db);
    expect(await checkpoints.load('a')).toBeNull();
    expect(await checkpoints.save('a', p(5), { expected: null })).toBe(true);
    await expect(checkpoints.save('a', p(6), { expected: null })).rejects.toBeInstanceOf(CheckpointConflictError);
    await expect(checkpoints.save('a', p(6), { expected: p(4) })).rejects.toMatchObject({ actual: 'pg:test@5' });
    expect(await checkpoints.save('a', p(3))).toBe(false);
    expect(await checkpoints.save('a', p(2n ** 80n))).toBe(true);
    expect((await checkpoints.load('a'))!.value).toBe(2n ** 80n);
    await checkpoints.reset('a', p(1));
    expect((await checkpoints.load('a'))!.value).toBe(1n);
    await expect(
      db.transaction().execute(async (trx) => {
        await checkpoints.save('a', p(9), { expected: p(1), transaction: trx });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect((await checkpoints.load('a'))!.value).toBe(1n);
    await checkpoints.reset('b', p(2));
    expect((await checkpoints.list()).map((c) => [c.name, c.position.value])).toEqual([
      ['a', 1n],
      ['b', 2n],
    ]);
    await checkpoints.reset('b', null);
    expect(await checkpoints.load('b')).toBeNull();
  });

  it('dead letters: upsert counts attempts; list, filter, retry marks, resolve, purge and stats', async () => {
    const dlq = new SqlDeadLetterQueue(db);
    const event = deposit('x', 1);
    const base = {
      eventId: event.eventId,
      eventType: 'Deposited',
      streamId: 'Account-x',
      position: p(7),
      storedAt: new Date(1_700_000_000_000),
      record: toEventRecord(event),
      error: 'Error: one',
      stack: 'Error: one\n    at x',
      attempts: 3,
    };
    const first = await dlq.add({ ...base, subscription: 's1' });
    const again = await dlq.add({ ...base, subscription: 's1', error: 'Error: two', attempts: 1 });
    expect(again.id).toBe(first.id);
    expect(again).toMatchObject({ attempts: 4, error: 'Error: two', status: 'pending', eventId: event.eventId });
    expect(again.position.equals(p(7))).toBe(true);
    expect(again.record).toEqual(toEventRecord(event));
    expect(again.storedAt.getTime()).toBe(1_700_000_000_000);
    const other = await dlq.add({ ...base, subscription: 's2', eventId: deposit('y', 2).eventId });
    expect((await dlq.list({ subscription: 's2' })).map((e) => e.id)).toEqual([other.id]);
    expect(await dlq.markRetrying(first.id)).toBe(true);
    expect(await dlq.markRetrying(first.id)).toBe(false);
    expect((await dlq.list({ status: 'retrying' })).map((e) => e.id)).toEqual([first.id]);
    await dlq.release(first.id);
    await dlq.resolve(first.id, { by: 'ops' });
    expect(await dlq.get(first.id)).toMatchObject({ status: 'resolved', resolvedBy: 'ops' });
    const stats = await dlq.stats();
    expect(stats).toMatchObject({ total: 2, byStatus: { pending: 1, retrying: 0, resolved: 1 } });
    expect(stats.bySubscription[0]).toEqual({ subscription: 's2', pending: 1, retrying: 0, resolved: 0 });
    expect(await dlq.purgeResolved({ olderThan: new Date(Date.now() - 60_000) })).toBe(0);
    expect(await dlq.purgeResolved()).toBe(1);
    expect(await dlq.get(first.id)).toBeUndefined();
    expect((await dlq.list()).map((e) => e.id)).toEqual([other.id]);
  });

  it('dead letters: an id no entry can have is not found (a bad paging cursor is refused), as in memory', async () => {
    const sqlQueue = new SqlDeadLetterQueue(db);
    const event = deposit('ids', 1);
    const entry = await sqlQueue.add({
      subscription: 'ids',
      eventId: event.eventId,
      eventType: 'Deposited',
      streamId: 'Account-ids',
      position: p(8),
      storedAt: new Date(1_700_000_000_000),
      record: toEventRecord(event),
      error: 'Error: ids',
      attempts: 1,
    });
    for (const dlq of [sqlQueue, sqlQueue.forTenant('acme'), new InMemoryDeadLetterQueue()]) {
      for (const id of [
        'xyz',
        '99999999999999999999999',
        '9223372036854775808',
        '-1',
        '1.5',
        ' 1',
        '0',
        `0${entry.id}`,
        '',
      ]) {
        expect(await dlq.get(id)).toBeUndefined();
        await expect(dlq.resolve(id)).rejects.toBeInstanceOf(DeadLetterEntryNotFoundError);
        await expect(dlq.markRetrying(id)).rejects.toMatchObject({ code: 'DLQ.NOT_FOUND' });
      }
      await expect(dlq.list({ afterId: 'xyz' })).rejects.toMatchObject({ code: 'ARGUMENT.INVALID' });
    }
    await sqlQueue.release('xyz'); // like an unknown id: nothing to release
    expect(
      (await sqlQueue.list({ afterId: String(BigInt(entry.id) - 1n), subscription: 'ids' })).map((e) => e.id),
    ).toEqual([entry.id]);
    expect(await sqlQueue.get(entry.id)).toMatchObject({ subscription: 'ids' });
  });

  it('dead letters: firstUnresolved finds a pending (else retrying) entry of one subscription up to a position, as in memory', async () => {
    const subscription = `first-${target.dialect}`;
    for (const dlq of [new SqlDeadLetterQueue(db), new InMemoryDeadLetterQueue()]) {
      const park = (position: Position, name = subscription) => {
        const event = deposit('first', 1);
        return dlq.add({
          subscription: name,
          eventId: event.eventId,
          eventType: 'Deposited',
          streamId: 'Account-first',
          position,
          storedAt: new Date(1_700_000_000_000),
          record: toEventRecord(event),
          error: `Error: at ${position.toString()}`,
          attempts: 1,
        });
      };
      const first = (upTo: Position) => dlq.firstUnresolved(subscription, upTo).then((e) => e?.position.toString());
      expect(await first(p(100))).toBeUndefined();
      // Not counted: another subscription's, another store's, and positions after the target
      // (more digits, or as many and greater: compared as numbers, not as text).
      await park(p(9), `${subscription}-other`);
      await park(Position.of('pg:test2', 1));
      await park(Position.of('pg:tes', 1));
      await park(p(11));
      await park(p(100));
      await park(p(2n ** 80n));
      expect(await first(p(10))).toBeUndefined();
      expect(await first(p(2n ** 80n - 1n))).toBe('pg:test@11');
      const nine = await park(p(9));
      expect(await first(p(9))).toBe('pg:test@9');
      expect(await first(p(10))).toBe('pg:test@9');
      expect(await dlq.firstUnresolved(subscription, p(10))).toMatchObject({
        id: nine.id,
        status: 'pending',
        eventType: 'Deposited',
        streamId: 'Account-first',
        error: 'Error: at pg:test@9',
      });
      // A pending entry comes before one being retried; a resolved one does not count.
      const eight = await park(p(8));
      expect(await first(p(10))).toBe('pg:test@9');
      expect(await dlq.markRetrying(nine.id)).toBe(true);
      expect(await first(p(10))).toBe('pg:test@8');
      await dlq.resolve(eight.id);
      expect(await dlq.firstUnresolved(subscription, p(10))).toMatchObject({ id: nine.id, status: 'retrying' });
      await dlq.resolve(nine.id);
      expect(await first(p(10))).toBeUndefined();
      expect(await first(p(2n ** 80n))).toBe('pg:test@11');
      // A tenant's view sees only its tenant's entries (these have none).
      expect(await dlq.forTenant('acme').firstUnresolved(subscription, p(2n ** 80n))).toBeUndefined();
    }
  });

  it('lease lock: one holder, takeover after expiry, release', async () => {
    const a = new SqlLeaseLock(db, { ttlMs: 300, renewEveryMs: 10_000 });
    const b = new SqlLeaseLock(db, { ttlMs: 300, renewEveryMs: 10_000 });
    const held = await a.tryAcquire('sub');
    expect(held?.held).toBe(true);
    expect(await b.tryAcquire('sub')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 350));
    const taken = await b.tryAcquire('sub');
    expect(taken?.held).toBe(true);
    await taken!.release();
    const renewed = new SqlLeaseLock(db, { ttlMs: 300, renewEveryMs: 50 });
    const kept = await renewed.tryAcquire('sub');
    await new Promise((r) => setTimeout(r, 400));
    expect(await a.tryAcquire('sub')).toBeUndefined();
    expect(kept!.held).toBe(true);
    await kept!.release();
    expect(kept!.held).toBe(false);
    await held!.release();
  });

  it('outbox: rows roll back with their transaction; two relays publish every row once, in order per aggregate', async () => {
    const outbox = new SqlOutboxStore(db);
    await expect(
      db.transaction().execute(async (trx) => {
        await outbox.add([deposit('gone', 1)], { transaction: fakeStoreTransaction(trx) });
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect((await outbox.stats()).pending).toBe(0);
    await relayInOrder(outbox, async (events) => {
      await db.transaction().execute((trx) => outbox.add(events, { transaction: fakeStoreTransaction(trx) }));
    });
  });

  it('outbox: a publisher that is down keeps rows pending until it is back; published rows are cleaned up', async () => {
    const outbox = new SqlOutboxStore(db);
    await db.deleteFrom('eventsmith_outbox').execute();
    await db
      .transaction()
      .execute((trx) => outbox.add([deposit('d', 1), deposit('d', 2)], { transaction: fakeStoreTransaction(trx) }));
    await downThenUp(outbox);
  });

  it('tenant views: checkpoints and leases per (tenant, name); dead letters of their own tenant only', async () => {
    const checkpoints = new SqlCheckpointStore(db);
    await checkpoints.reset('shared', p(1));
    const [t1, t2] = [checkpoints.forTenant('t1'), checkpoints.forTenant('t2')];
    expect(await t1.load('shared')).toBeNull();
    expect(await t1.save('shared', p(10), { expected: null })).toBe(true);
    expect(await t2.save('shared', p(20), { expected: null })).toBe(true);
    expect((await t1.load('shared'))!.value).toBe(10n);
    expect((await t2.load('shared'))!.value).toBe(20n);
    expect((await checkpoints.load('shared'))!.value).toBe(1n);
    // The compare-and-set statement is compiled once and shared: each save binds its own tenant and name.
    expect(await t1.save('shared', p(11), { expected: p(10) })).toBe(true);
    await expect(t2.save('shared', p(21), { expected: p(10) })).rejects.toBeInstanceOf(CheckpointConflictError);
    expect(await t2.save('shared', p(21), { expected: p(20) })).toBe(true);
    expect((await t1.load('shared'))!.value).toBe(11n);
    expect((await t2.load('shared'))!.value).toBe(21n);
    expect((await checkpoints.load('shared'))!.value).toBe(1n);
    expect((await t1.list()).map((c) => [c.tenantId, c.name, c.position.value])).toEqual([['t1', 'shared', 11n]]);
    expect((await checkpoints.list()).some((c) => c.tenantId !== undefined)).toBe(false);
    await t1.reset('shared', null);
    expect((await t2.load('shared'))!.value).toBe(21n);

    const lock = new SqlLeaseLock(db, { ttlMs: 60_000 });
    const other = new SqlLeaseLock(db, { ttlMs: 60_000 });
    const held = [
      await lock.tryAcquire('mail'),
      await lock.forTenant('t1').tryAcquire('mail'),
      await lock.forTenant('t2').tryAcquire('mail'),
    ];
    expect(held.every((h) => h?.held)).toBe(true);
    expect(await other.forTenant('t1').tryAcquire('mail')).toBeUndefined();
    await held[1]!.release();
    const taken = await other.forTenant('t1').tryAcquire('mail');
    expect(taken?.held).toBe(true);
    expect(await other.tryAcquire('mail')).toBeUndefined();
    for (const h of [...held, taken]) await h!.release();

    const dlq = new SqlDeadLetterQueue(db);
    const park = (tenant: string | null, subscription: string) => {
      const event = new Deposited(
        { amount: 1 },
        { aggregateId: `${tenant}-x`, aggregateVersion: 1, ...(tenant ? { tenantId: tenant } : {}) },
      );
      const record = toEventRecord(event);
      const target = {
        eventId: event.eventId,
        eventType: 'Deposited',
        streamId: 'Account-x',
        position: p(9),
        storedAt: new Date(),
        record,
      };
      return { subscription, ...target, error: 'Error: x', attempts: 1 };
    };
    const [e1, e2, none] = [
      await dlq.add(park('t1', 'tenants')),
      await dlq.add(park('t2', 'tenants')),
      await dlq.add(park(null, 'tenants')),
    ];
    expect([e1.tenantId, e2.tenantId, none.tenantId]).toEqual(['t1', 't2', null]);
    const v1 = dlq.forTenant('t1');
    expect((await v1.list({ subscription: 'tenants' })).map((e) => e.id)).toEqual([e1.id]);
    expect((await dlq.list({ subscription: 'tenants' })).map((e) => e.id)).toEqual([e1.id, e2.id, none.id]);
    expect((await v1.stats()).bySubscription.find((s) => s.subscription === 'tenants')).toMatchObject({ pending: 1 });
    expect(await v1.get(e2.id)).toBeUndefined();
    await expect(v1.markRetrying(e2.id)).rejects.toBeInstanceOf(DeadLetterEntryNotFoundError);
    await expect(v1.resolve(e2.id)).rejects.toBeInstanceOf(DeadLetterEntryNotFoundError);
    await expect(v1.add(park('t2', 'tenants'))).rejects.toBeInstanceOf(TenantMismatchError);
    await expect(v1.add(park(null, 'tenants'))).rejects.toBeInstanceOf(TenantMismatchError);
    await dlq.resolve(e2.id);
    expect(await v1.purgeResolved()).toBe(0);
    expect(await dlq.get(e2.id)).toBeDefined();
    await v1.resolve(e1.id);
    expect(await v1.purgeResolved()).toBe(1);
    expect(await dlq.get(e2.id)).toBeDefined();
    expect((await dlq.forTenant('t2').get(e2.id))?.status).toBe('resolved');
  });

  it('migration 0002 keeps checkpoints and leases under the unscoped key and gives dead letters their event tenant', async () => {
    const { db: old, close: closeOld } = await target.open();
    try {
      const migrator = new Migrator({
        db: old,
        provider: { getMigrations: async () => subscriptionMigrations(target.dialect) },
        migrationTableName: SUBSCRIPTION_MIGRATION_TABLE,
        migrationLockTableName: `${SUBSCRIPTION_MIGRATION_TABLE}_lock`,
      });
      expect((await migrator.migrateTo('0001-subscription-tables')).error).toBeUndefined();
      const record = (tenantId: string | null) => JSON.stringify({ ...toEventRecord(deposit('m', 1)), tenantId });
      const row = (eventId: string, tenantId: string | null) => ({
        subscription: 'mail',
        event_id: eventId,
        event_type: 'Deposited',
        stream_id: 'Account-m',
        position: p(3).toString(),
        stored_at: 1,
        record: record(tenantId),
        error: 'Error: x',
        stack: null,
        attempts: 1,
        status: 'pending',
        first_failed_at: 1,
        last_failed_at: 1,
        resolved_at: null,
        resolved_by: null,
      });
      await old
        .insertInto('eventsmith_dead_letters')
        .values([row('e-t1', 't1'), row('e-none', null)])
        .execute();
      await old
        .insertInto('eventsmith_checkpoints')
        .values({ name: 'mail', position: p(42).toString(), updated_at: 1 })
        .execute();
      await old
        .insertInto('eventsmith_leases')
        .values({ name: 'mail', owner: 'old', expires_at: Date.now() + 60_000, acquired_at: 1 })
        .execute();
      await migrateSubscriptionTables(old);
      const checkpoints = new SqlCheckpointStore(old);
      expect((await checkpoints.load('mail'))!.value).toBe(42n);
      expect(await checkpoints.forTenant('t1').load('mail')).toBeNull();
      expect(await new SqlLeaseLock(old).tryAcquire('mail')).toBeUndefined(); // still held by 'old'
      const dlq = new SqlDeadLetterQueue(old);
      expect((await dlq.list()).map((e) => [e.eventId, e.tenantId])).toEqual([
        ['e-t1', 't1'],
        ['e-none', null],
      ]);
      expect((await dlq.forTenant('t1').list()).map((e) => e.eventId)).toEqual(['e-t1']);
    } finally {
      await closeOld();
    }
  });

  if (target.dialect === 'postgres') {
    it('advisory lock: one holder per name and tenant view; freed when released', async () => {
      const a = new PostgresAdvisoryLock(db, { heartbeatMs: 50 });
      const b = new PostgresAdvisoryLock(db, { heartbeatMs: 50 });
      const mine = [
        await a.tryAcquire('mail'),
        await a.forTenant('t1').tryAcquire('mail'),
        await a.forTenant('t2').tryAcquire('mail'),
      ];
      expect(mine.every((h) => h?.held)).toBe(true);
      expect(await b.forTenant('t1').tryAcquire('mail')).toBeUndefined();
      expect(await b.tryAcquire('mail')).toBeUndefined();
      for (const h of mine) await h!.release();
      const taken = await b.forTenant('t1').tryAcquire('mail');
      expect(taken?.held).toBe(true);
      await taken!.release();
    });

    it('advisory lock: one holder per name; freed when released', async () => {
      const a = new PostgresAdvisoryLock(db, { heartbeatMs: 50 });
      const b = new PostgresAdvisoryLock(db, { heartbeatMs: 50 });
      const held = await a.tryAcquire('sub');
      expect(held?.held).toBe(true);
      expect(await b.tryAcquire('sub')).toBeUndefined();
      const other = await b.tryAcquire('other');
      expect(other?.held).toBe(true);
      await other!.release();
      await held!.release();
      const taken = await b.tryAcquire('sub');
      expect(taken?.held).toBe(true);
      await taken!.release();
    });
  }
}

/** 20 aggregates × 15 events, written in interleaved transactions; two relays drain them. */
async function relayInOrder(outbox: OutboxStore, write: (events: DomainEvent[]) => Promise<void>) {
  const expected = new Map<string, number[]>();
  for (let round = 1; round <= 15; round++) {
    const events = Array.from({ length: 20 }, (_, a) => deposit(`agg-${a}`, round));
    for (let a = 0; a < 20; a++) expected.set(`agg-${a}`, [...(expected.get(`agg-${a}`) ?? []), round]);
    await write(events);
  }
  const publisher = new RecordingPublisher();
  const relays = [1, 2].map(() => new OutboxRelay(outbox, publisher, { batchSize: 17, pollIntervalMs: 5 }));
  relays.forEach((r) => r.start());
  const deadline = Date.now() + 20_000;
  while ((await outbox.stats()).pending > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await Promise.all(relays.map((r) => r.stop()));
  expect(publisher.published).toHaveLength(300);
  expect(new Set(publisher.published.map((r) => r.eventId)).size).toBe(300);
  const seen = new Map<string, number[]>();
  for (const record of publisher.published) {
    seen.set(record.aggregateId, [...(seen.get(record.aggregateId) ?? []), (record.data as { amount: number }).amount]);
  }
  expect(seen).toEqual(expected);
  expect(relays.every((r) => r.published > 0)).toBe(true);
}

async function downThenUp(outbox: OutboxStore) {
  const publisher = new RecordingPublisher();
  publisher.down = true;
  const relay = new OutboxRelay(outbox, publisher, {
    pollIntervalMs: 5,
    retry: { initialDelayMs: 20, maxDelayMs: 40 },
  });
  expect(await relay.runOnce()).toBe(0);
  expect(await outbox.stats()).toMatchObject({ pending: 2, maxPendingAttempts: 1 });
  expect(await relay.runOnce()).toBe(0); // in backoff: nothing claimable yet
  publisher.down = false;
  await new Promise((r) => setTimeout(r, 60));
  expect(await relay.drain()).toBe(2);
  expect(publisher.published.map((r) => (r.data as { amount: number }).amount)).toEqual([1, 2]);
  expect(await outbox.stats()).toMatchObject({ pending: 0, published: 2 });
  expect(await outbox.cleanupPublished({ olderThan: new Date(Date.now() - 60_000) })).toBe(0);
  expect(await outbox.cleanupPublished()).toBe(2);
  expect((await outbox.stats()).published).toBe(0);
}

for (const target of SQL_TARGETS) {
  if (target.service)
    await describeWithService(target.service, `subscription tables on ${target.dialect}`, () => suite(target));
  else describe(`subscription tables on ${target.dialect}`, () => suite(target));
}

describe('in-memory outbox', () => {
  it('publishes in order per aggregate with two relays, and survives a publisher outage', async () => {
    const outbox = new InMemoryOutboxStore();
    const commit = async (events: DomainEvent[]) => {
      const callbacks: (() => void | Promise<void>)[] = [];
      await outbox.add(events, {
        transaction: { ...fakeStoreTransaction(undefined), afterCommit: (f) => void callbacks.push(f) },
      });
      for (const f of callbacks) await f();
    };
    await relayInOrder(outbox, commit);
    const fresh = new InMemoryOutboxStore();
    const callbacks: (() => void | Promise<void>)[] = [];
    await fresh.add([deposit('d', 1), deposit('d', 2)], {
      transaction: { ...fakeStoreTransaction(undefined), afterCommit: (f) => void callbacks.push(f) },
    });
    expect((await fresh.stats()).pending).toBe(0); // nothing before commit
    for (const f of callbacks) await f();
    await downThenUp(fresh);
  });
});
