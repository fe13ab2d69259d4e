import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import type { StoredEvent } from '../store/event-store.js';
import { SubscriptionManager } from '../subscriptions/subscription-manager.js';
import { SqlCheckpointStore } from '../subscriptions/sql/sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from '../subscriptions/sql/sql-dead-letter-queue.js';
import { migrateSubscriptionTables } from '../subscriptions/sql/subscription-tables.js';
import { Deposited, Noted, feed, waitFor } from '../test-support/subscription-fixtures.js';
import { openStore } from '../test-support/open-store.js';
import { SQL_TARGETS, type SqlTarget } from '../test-support/sql-targets.js';
import { uniqueViolation } from '../store/sql/unique-violation.js';
import { declarativeProjection } from './declarative-projection.js';
import { ProjectionRowExistsError } from './projection-errors.js';
import type { Projection } from './projection.js';
import { decrement, increment, type RowOperation } from './row-operation.js';

interface ItemsTable {
  id: string;
  n: number;
  amount: string | number;
  ratio: number | null;
  label: string | null;
}
interface ItemsTables {
  items: ItemsTable;
}

/** A step of a random script, carried by a Noted event as JSON. */
type Step =
  | { op: 'insert'; id: string; n: number; amount: string; label: string }
  | { op: 'upsert'; id: string; n: number; amount: string; ratio?: number; label?: string }
  | { op: 'update'; id: string; n: number; amount: string; ratio: number; label?: string }
  | { op: 'delete'; id: string }
  | { op: 'relabel'; from: string; to: string }
  | { op: 'custom'; id: string };

function operation(step: Step): RowOperation<ItemsTable> | ((context: { db: Kysely<ItemsTables> }) => Promise<void>) {
  switch (step.op) {
    case 'insert':
      return { insert: { id: step.id, n: step.n, amount: step.amount, label: step.label } };
    case 'upsert':
      return {
        upsert: {
          id: step.id,
          n: increment(step.n),
          amount: decrement(step.amount),
          ...(step.ratio ? { ratio: increment(step.ratio) } : {}),
          ...(step.label ? { label: step.label } : {}),
        },
      };
    case 'update':
      return {
        update: {
          where: { id: step.id },
          set: {
            n: increment(step.n),
            amount: increment(step.amount),
            ratio: increment(step.ratio),
            ...(step.label ? { label: step.label } : {}),
          },
        },
      };
    case 'delete':
      return { delete: { where: { id: step.id } } };
    case 'relabel': // not on the primary key: runs on its own, in order
      return { update: { where: { label: step.from }, set: { label: step.to } } };
    case 'custom':
      return async ({ db }) =>
        void (await db
          .updateTable('items')
          .set((eb) => ({ n: eb('n', '*', 2) }))
          .where('id', '=', step.id)
          .execute());
  }
}

const items = (mergeBatches = true) =>
  declarativeProjection<ItemsTables, 'items'>({
    name: 'items',
    eventTypes: ['Noted'],
    table: 'items',
    primaryKey: ['id'],
    counters: {
      n: { type: 'integer', default: 0 },
      amount: { type: 'decimal', default: '0' },
      ratio: { type: 'number' },
    },
    mergeBatches,
    operation: (event) => (event instanceof Noted ? operation(JSON.parse(event.data.text) as Step) : undefined),
  });

/**
 * A deterministic random script over a few keys, so operations on the same key meet often.
 * Inserts go to keys that do not exist, except a rare one that must fail.
 */
function script(seed: number, length: number, dialect: SqlTarget['dialect']): Step[] {
  let s = seed;
  const next = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  // 'C' and 'c ' are one key on MySQL (case-insensitive, trailing spaces ignored), two elsewhere.
  const ids = ['a', 'b', 'C', 'c ', 'd'];
  // SQLite stores decimals as doubles and does not round amounts to the column's scale
  // (documented): only elsewhere, amounts beyond a double's digits or the scale.
  const amounts = ['0.1', '2.25', '-0.75', ...(dialect === 'sqlite' ? [] : ['1000000.0000000001', '0.00000000004'])];
  const labels = ['x', 'y', 'z'];
  const exists = new Set<string>();
  return Array.from({ length }, (): Step => {
    const id = pick(ids);
    const n = Math.floor(next() * 10) - 3;
    const r = next();
    if (r < 0.2 && (!exists.has(id) || next() < 0.05)) {
      exists.add(id);
      return { op: 'insert', id, n, amount: pick(amounts), label: pick(labels) };
    }
    if (r < 0.45) {
      exists.add(id);
      return {
        op: 'upsert',
        id,
        n,
        amount: pick(amounts),
        ratio: pick([0.1, 0.2, 0.3]),
        ...(next() < 0.5 ? { label: pick(labels) } : {}),
      };
    }
    if (r < 0.8)
      return {
        op: 'update',
        id,
        n,
        amount: pick(amounts),
        ratio: pick([0.1, 0.7]),
        ...(next() < 0.6 ? { label: pick(labels) } : {}),
      };
    if (r < 0.93) {
      exists.delete(id);
      return { op: 'delete', id };
    }
    if (r < 0.97) return { op: 'relabel', from: pick(labels), to: pick(labels) };
    return { op: 'custom', id };
  });
}

function stored(steps: readonly Step[]): StoredEvent[] {
  return steps.map(
    (step, i) =>
      ({ event: new Noted({ text: JSON.stringify(step) }, { aggregateId: `s-${i}` }) }) as unknown as StoredEvent,
  );
}

async function createItems(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('items')
    .addColumn('id', 'varchar(20)', (c) => c.primaryKey())
    .addColumn('n', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('amount', 'decimal(38, 10)', (c) => c.notNull().defaultTo('0'))
    .addColumn('ratio', 'double precision')
    .addColumn('label', 'varchar(20)')
    .execute();
}

async function rows(db: Kysely<any>): Promise<Record<string, unknown>[]> {
  const all = await db.selectFrom('items').selectAll().orderBy('id').execute();
  return all.map((r) => ({
    ...r,
    amount: Number(r.amount).toFixed(10),
    ratio: r.ratio === null ? null : Number(r.ratio),
  }));
}

/**
 * What the manager does: the whole batch in one transaction; if it fails, one event per
 * transaction, skipping failures. Returns how many failed, or -1 when the batch went through whole.
 */
async function runLikeManager(
  db: Kysely<any>,
  projection: Projection<Kysely<ItemsTables>>,
  events: readonly StoredEvent[],
): Promise<number> {
  try {
    await db.transaction().execute((trx) => projection.handleBatch!(events, { db: trx as Kysely<ItemsTables> }));
    return -1;
  } catch {
    let failed = 0;
    for (const e of events)
      await db
        .transaction()
        .execute((trx) => projection.handleBatch!([e], { db: trx as Kysely<ItemsTables> }))
        .catch(() => failed++);
    return failed;
  }
}

const suite = (target: SqlTarget) => () => {
  it('writes the same rows as handling each event alone, for random scripts mixing operations on the same keys', async () => {
    const reference = await target.open();
    const batched = await target.open();
    try {
      let whole = 0;
      let failures = 0;
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        for (const { db } of [reference, batched]) {
          await db.schema.dropTable('items').ifExists().execute();
          await createItems(db);
        }
        const events = stored(script(seed, 60, target.dialect));
        const projection = items();
        let failedAlone = 0;
        for (const e of events)
          await reference.db
            .transaction()
            .execute((trx) => projection.handle(e, { db: trx as Kysely<ItemsTables> }))
            .catch(() => failedAlone++);
        // In pages, as the manager delivers them.
        let failedBatched = 0;
        for (let i = 0; i < events.length; i += 30) {
          const failed = await runLikeManager(batched.db, projection, events.slice(i, i + 30));
          if (failed < 0) whole++;
          else failedBatched += failed;
        }
        expect(await rows(batched.db), `seed ${seed}`).toEqual(await rows(reference.db));
        expect(failedBatched).toBe(failedAlone);
        failures += failedAlone;
      }
      // Both paths were exercised: merged pages, and pages with a failing event.
      expect(whole).toBeGreaterThanOrEqual(4);
      expect(failures).toBeGreaterThan(0);
    } finally {
      await reference.close();
      await batched.close();
    }
  }, 120_000);

  it('merges a batch into a few statements', async () => {
    const { db, close } = await target.open();
    try {
      await createItems(db);
      let statements = 0;
      const counted = db.withPlugin({
        transformQuery: (args) => (statements++, args.node),
        transformResult: async (args) => args.result,
      });
      const steps: Step[] = [];
      for (let i = 0; i < 100; i++) steps.push({ op: 'upsert', id: `k${i % 10}`, n: 1, amount: '0.5' });
      await counted
        .transaction()
        .execute((trx) => items().handleBatch!(stored(steps), { db: trx as Kysely<ItemsTables> }));
      expect(statements).toBe(1);
      expect((await rows(db)).map((r) => [r.id, r.n, r.amount, r.ratio])).toEqual(
        Array.from({ length: 10 }, (_, i) => [`k${i}`, 10, (-5).toFixed(10), null]),
      );
    } finally {
      await close();
    }
  });

  it('binds each batch its own values in the statement compiled for a shape in an earlier one', async () => {
    const reference = await target.open();
    const batched = await target.open();
    try {
      for (const { db } of [reference, batched]) await createItems(db);
      const projection = items();
      for (let batch = 0; batch < 3; batch++) {
        // The same shape every time (four keys, upserted twice each), with other keys and amounts.
        const steps: Step[] = [];
        for (let i = 0; i < 8; i++)
          steps.push({ op: 'upsert', id: `k${batch * 2 + (i % 4)}`, n: batch + i, amount: `${batch}.${i}` });
        const events = stored(steps);
        await batched.db
          .transaction()
          .execute((trx) => projection.handleBatch!(events, { db: trx as Kysely<ItemsTables> }));
        for (const e of events)
          await reference.db.transaction().execute((trx) => projection.handle(e, { db: trx as Kysely<ItemsTables> }));
      }
      expect(await rows(batched.db)).toEqual(await rows(reference.db));
      expect((await rows(batched.db)).length).toBe(8);
    } finally {
      await reference.close();
      await batched.close();
    }
  });

  it('an insert on a key that exists fails with PROJECTION.ROW_EXISTS naming the table, the key and the upsert fix', async () => {
    const { db, close } = await target.open('es_rowex');
    try {
      await createItems(db);
      const projection = items();
      const insert = (id: string) => stored([{ op: 'insert', id, n: 1, amount: '1', label: 'x' }]);
      const inTransaction = (run: (trx: Kysely<ItemsTables>) => Promise<void>) =>
        db.transaction().execute((trx) => run(trx as Kysely<ItemsTables>));
      await inTransaction((trx) => projection.handle(insert('a')[0]!, { db: trx }));
      const fix = /use `upsert` instead of `insert` for this event in the projection's YAML/;

      // One operation on its own (handle), and a batch of one (handleBatch): the exact key.
      for (const attempt of [
        (trx: Kysely<ItemsTables>) => projection.handle(insert('a')[0]!, { db: trx }),
        (trx: Kysely<ItemsTables>) => projection.handleBatch!(insert('a'), { db: trx }),
      ]) {
        const error = await inTransaction(attempt).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ProjectionRowExistsError);
        const rowExists = error as ProjectionRowExistsError;
        expect(rowExists.code).toBe('PROJECTION.ROW_EXISTS');
        expect(rowExists).toMatchObject({ projection: 'items', table: 'items', key: { id: 'a' }, index: undefined });
        expect(rowExists.message).toContain(
          'Projection "items" cannot insert into table "items": a row with key id = "a" already exists.',
        );
        expect(rowExists.message).toMatch(fix);
        expect(uniqueViolation(rowExists.cause)).toBeDefined();
      }

      // Several inserts in one statement: the key the database names, or (SQLite names none) the candidates.
      const error = await inTransaction((trx) =>
        projection.handleBatch!(
          stored(['b', 'a', 'c'].map((id) => ({ op: 'insert', id, n: 1, amount: '1', label: 'x' }))),
          {
            db: trx,
          },
        ),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ProjectionRowExistsError);
      const batched = error as ProjectionRowExistsError;
      if (target.dialect === 'sqlite') {
        expect(batched.key).toBeUndefined();
        expect(batched.candidates).toEqual([{ id: 'b' }, { id: 'a' }, { id: 'c' }]);
        expect(batched.message).toContain(
          'one of the keys it inserted in one statement (id = "b"; id = "a"; id = "c")',
        );
      } else {
        expect(batched.key).toEqual({ id: 'a' });
        expect(batched.message).toContain('a row with key id = "a" already exists');
      }
      expect(batched.message).toMatch(fix);
      // The transaction rolled back as before: only the first row is there.
      expect((await rows(db)).map((r) => r.id)).toEqual(['a']);
    } finally {
      await close();
    }
  });

  it('under the manager, parks a poison event of a batch alone and applies every other event exactly once; a rebuild agrees', async () => {
    const { db, url, close } = await target.open();
    await db.destroy().catch(() => undefined);
    const store = await openStore(target.dialect, url);
    let manager: SubscriptionManager | undefined;
    try {
      await migrateSubscriptionTables(store.db);
      await createItems(store.db);
      const deposits = declarativeProjection<ItemsTables, 'items'>({
        name: 'deposits',
        eventTypes: ['Deposited', 'Noted'],
        table: 'items',
        primaryKey: ['id'],
        counters: { n: { type: 'integer', default: 0 } },
        operation(event) {
          if (event instanceof Deposited) return { upsert: { id: event.aggregateId, n: increment(event.data.amount) } };
          // Inserting an account that exists fails in the database, when the batch is written.
          if (event instanceof Noted) return { insert: { id: event.data.text, n: 0 } };
          return undefined;
        },
      });
      const sizes: number[] = [];
      const spied: Projection<Kysely<ItemsTables>> = {
        ...deposits,
        handleBatch: (batch, context) => (sizes.push(batch.length), deposits.handleBatch!(batch, context)),
      };
      const append = (account: string, amounts: number[]) =>
        store.appendToStream(
          `Account-${account}`,
          amounts.map((amount) => new Deposited({ amount }, { aggregateId: account })),
          { expectedVersion: 'any' },
        );
      for (let round = 0; round < 5; round++)
        for (const account of ['a', 'b', 'c']) await append(account, [1, 2, 3, 4]);
      await store.appendToStream('Note-1', [new Noted({ text: 'b' }, { aggregateId: '1' })], {
        expectedVersion: 'any',
      });
      for (const account of ['a', 'b', 'c']) await append(account, [10, 20]);

      const checkpoints = new SqlCheckpointStore(store.db);
      const deadLetters = new SqlDeadLetterQueue(store.db);
      manager = new SubscriptionManager({ store, checkpoints, deadLetters, pollIntervalMs: 20 });
      manager.project(spied, { batchSize: 100, retry: { maxAttempts: 2, initialDelayMs: 1 } });
      const all = await feed(store);
      await manager.start();
      await waitFor(
        async () => (await checkpoints.load('deposits'))?.equals(all.at(-1)!.position) === true,
        'the projection caught up',
        30_000,
      );

      expect((await rows(store.db)).map((r) => [r.id, r.n])).toEqual([
        ['a', 80],
        ['b', 80],
        ['c', 80],
      ]);
      const parked = await deadLetters.list({ subscription: 'deposits' });
      expect(parked.map((p) => p.eventType)).toEqual(['Noted']);
      // The dead letter holds the typed error, not the driver's.
      expect(parked[0]!.error).toMatch(
        /^ProjectionRowExistsError: Projection "deposits" cannot insert into table "items": a row with key id = "b" already exists\. .*use `upsert`/,
      );
      expect(sizes[0]).toBe(all.length); // the whole page at once first…
      expect(sizes.filter((s) => s === 1).length).toBeGreaterThan(0); // …then event by event

      // A rebuild replays in batches too (into shadow tables), and skips and reports the same event.
      sizes.length = 0;
      const report = await manager.rebuild('deposits');
      expect(report.failures.map((f) => f.eventType)).toEqual(['Noted']);
      expect(report.replayed).toBe(all.length - 1);
      expect(sizes[0]).toBe(all.length);
      expect((await rows(store.db)).map((r) => [r.id, r.n])).toEqual([
        ['a', 80],
        ['b', 80],
        ['c', 80],
      ]);
    } finally {
      await manager?.stop();
      await store.close();
      await close().catch(() => undefined);
    }
  }, 60_000);
};

for (const target of SQL_TARGETS) {
  if (target.service)
    await describeWithService(target.service, `declarative projection batches on ${target.dialect}`, suite(target));
  else describe(`declarative projection batches on ${target.dialect}`, suite(target));
}

describe('declarative projection without merging', () => {
  it('has no batch entry point', () => {
    expect(items(false).handleBatch).toBeUndefined();
    expect(items(true).handleBatch).toBeTypeOf('function');
  });
});
