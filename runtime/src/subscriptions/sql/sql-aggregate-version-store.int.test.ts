import BetterSqlite3 from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';
import { createPool } from 'mysql2';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { InMemoryEventBus } from '../../bus/memory/in-memory-event-bus.js';
import {
  busConformanceRegistry,
  DeliveryRecorder,
  orderPlaced,
  waitFor,
} from '../../testing/bus-conformance-fixtures.js';
import { SQL_TARGETS, type SqlTarget } from '../../test-support/sql-targets.js';
import { SqlAggregateVersionStore } from './sql-aggregate-version-store.js';

/** A second connection to the same database, as a restarted process would open. */
function reconnect(target: SqlTarget, url: string): Kysely<any> {
  if (target.dialect === 'sqlite')
    return new Kysely<any>({ dialect: new SqliteDialect({ database: new BetterSqlite3(url) }) });
  if (target.dialect === 'postgres')
    return new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });
  return new Kysely<any>({ dialect: new MysqlDialect({ pool: createPool({ uri: url, connectionLimit: 2 }) }) });
}

function suite(target: SqlTarget) {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  const open = async () => {
    const opened = await target.open();
    cleanups.push(opened.close);
    return opened;
  };
  const key = (aggregateId: string, more: { group?: string; tenantId?: string | null } = {}) => ({
    group: more.group ?? 'read-model',
    tenantId: more.tenantId === undefined ? null : more.tenantId,
    aggregateType: 'Order',
    aggregateId,
  });

  it('raises marks per group, tenant and aggregate, and never lowers them', async () => {
    const { db } = await open();
    const versions = new SqlAggregateVersionStore(db);
    await versions.migrate();
    await versions.migrate(); // idempotent
    expect(await versions.load(key('a'))).toBeNull();
    await versions.raise(key('a'), 3);
    await versions.raise(key('a'), 2);
    await versions.raise(key('a'), 3);
    expect(await versions.load(key('a'))).toBe(3);
    await versions.raise(key('a'), 2 ** 40);
    expect(await versions.load(key('a'))).toBe(2 ** 40);
    await versions.raise(key('a', { group: 'other' }), 1);
    await versions.raise(key('a', { tenantId: 't1' }), 7);
    expect(await versions.load(key('a', { group: 'other' }))).toBe(1);
    expect(await versions.load(key('a', { tenantId: 't1' }))).toBe(7);
    expect(await versions.load(key('a', { tenantId: 't2' }))).toBeNull();
    expect(await versions.load(key('b'))).toBeNull();
    // Racing members of one group: the highest version wins.
    await Promise.all([5, 9, 6, 8].map((v) => versions.raise(key('raced'), v)));
    expect(await versions.load(key('raced'))).toBe(9);
  });

  it('keeps skipping stale events for a group after the process restarts', async () => {
    const registry = busConformanceRegistry();
    const { db, url } = await open();
    const before = new SqlAggregateVersionStore(db);
    await before.migrate();
    const firstBus = new InMemoryEventBus({ registry });
    const got = new DeliveryRecorder();
    const first = firstBus.subscribe(got.handler, { group: 'balances', versionGuard: before });
    await first.start();
    await firstBus.publish([orderPlaced('account', 1), orderPlaced('account', 2)]);
    await waitFor(() => got.versionsOf('account').length === 2, 10_000, 'versions 1 and 2');
    await first.stop();
    await firstBus.close();

    // A new process: its own connection, store and bus. Old versions come again (a broker
    // redelivering them behind newer ones), then a new one.
    const second = reconnect(target, url);
    cleanups.push(() => second.destroy());
    const after = new SqlAggregateVersionStore(second);
    await after.migrate();
    const secondBus = new InMemoryEventBus({ registry });
    cleanups.push(() => secondBus.close());
    const again = new DeliveryRecorder();
    await secondBus.subscribe(again.handler, { group: 'balances', versionGuard: after }).start();
    await secondBus.publish([orderPlaced('account', 2), orderPlaced('account', 1), orderPlaced('account', 3)]);
    await waitFor(() => again.versionsOf('account').includes(3), 10_000, 'version 3');
    expect(again.versionsOf('account')).toEqual([3]);
    expect(await after.load(key('account', { group: 'balances' }))).toBe(3);
  });
}

for (const target of SQL_TARGETS) {
  if (target.service)
    await describeWithService(target.service, `SqlAggregateVersionStore on ${target.dialect}`, () => suite(target));
  else describe(`SqlAggregateVersionStore on ${target.dialect}`, () => suite(target));
}
