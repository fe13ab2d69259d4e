/**
 * A hand-written projection in the shape the generator emits, used by the crash, lock and
 * benchmark tests: per-account balances plus one row per handled event (whose primary key turns
 * any double delivery into an error).
 */
import { sql, type Kysely } from 'kysely';
import { defineProjection } from '../projections/projection.js';
import type { SqlDialectName } from '../store/sql/sql-dialect.js';
import type { Deposited } from './subscription-fixtures.js';

export interface BalanceTables {
  balances: { account_id: string; balance: number; events: number };
  handled: { event_id: string; seq: number; worker: string };
}

export async function createBalanceTables(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('balances')
    .ifNotExists()
    .addColumn('account_id', 'varchar(100)', (c) => c.primaryKey())
    .addColumn('balance', 'bigint', (c) => c.notNull())
    .addColumn('events', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('handled')
    .ifNotExists()
    .addColumn('event_id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('worker', 'varchar(100)', (c) => c.notNull())
    .execute();
}

export function balanceProjection(
  dialect: SqlDialectName,
  worker: string,
  options: { name?: string; delayEvery?: number } = {},
) {
  let count = 0;
  return defineProjection<Kysely<BalanceTables>>({
    name: options.name ?? 'balances',
    eventTypes: ['Deposited'],
    tables: ['balances', 'handled'],
    async handle({ event }, { db }) {
      const deposited = event as Deposited;
      await db
        .insertInto('handled')
        .values({ event_id: deposited.eventId, seq: deposited.data.amount, worker })
        .execute();
      const insert = db
        .insertInto('balances')
        .values({ account_id: deposited.aggregateId, balance: deposited.data.amount, events: 1 });
      if (dialect === 'mysql') {
        await insert
          .onDuplicateKeyUpdate({ balance: sql`balance + values(balance)`, events: sql`events + 1` })
          .execute();
      } else {
        await insert
          .onConflict((oc) =>
            oc.column('account_id').doUpdateSet((eb) => ({
              balance: eb('balances.balance', '+', eb.ref('excluded.balance')),
              events: eb('balances.events', '+', 1),
            })),
          )
          .execute();
      }
      if (options.delayEvery && ++count % options.delayEvery === 0) await new Promise((r) => setTimeout(r, 1));
    },
  });
}
