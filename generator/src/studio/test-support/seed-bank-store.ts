import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  AggregateRepository,
  causedBy,
  migrateProjections,
  migrateSubscriptionTables,
  runInCommandContext,
  SqlCheckpointStore,
  SqlDeadLetterQueue,
  streamIdFor,
  toEventRecord,
  type AggregateClass,
  type AggregateRoot,
  type DomainEvent,
  type EventStore,
  type Kysely,
} from '@eventsmith/runtime';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import type { ProjectCode } from '../../ops/project-code.js';

/** The bank example's account, as the seed drives it. */
interface Account extends AggregateRoot<{ balance: string }> {
  open(command: { ownerName: string; initialDeposit: string }): void;
  deposit(command: { amount: string; reference?: string }): void;
  withdraw(command: { amount: string; reference?: string }): void;
}

/** Ids of what the seed wrote. */
export interface BankSeed {
  /** No tenant: opened, 2 deposits, a withdrawal, then a transfer target's deposit caused by it. */
  readonly alice: string;
  readonly bob: string;
  readonly acme: string;
  readonly globex: string;
  /** Pending dead letters of the AccountSummary projection, by stream. */
  readonly deadLetters: Readonly<Record<string, string>>;
}

/**
 * Writes the bank example's accounts into an SQLite store at `file` with the project's code:
 * two accounts without a tenant (a deposit on Bob's caused by a withdrawal on Alice's), one of
 * tenant acme and one of tenant globex, and a pending AccountSummary dead letter for the first
 * event of three of them; AccountSummary's checkpoint is at Alice's second event.
 */
export async function seedBankStore(file: string, code: ProjectCode, root: string): Promise<BankSeed> {
  const store = await SqliteEventStore.open({ filename: file, registry: code.registry });
  try {
    return await seedBankEvents(store, code, root);
  } finally {
    await store.close();
  }
}

/** {@link seedBankStore} into an open SQL store (its tables migrated). */
export async function seedBankEvents(
  store: EventStore & { readonly db: Kysely<any> },
  code: ProjectCode,
  root: string,
): Promise<BankSeed> {
  const migrations = (await import(pathToFileURL(join(root, 'generated/bank/index.ts')).href)) as {
    projectionMigrations: Record<string, never>;
  };
  await migrateSubscriptionTables(store.db as never);
  await migrateProjections(store.db as never, migrations.projectionMigrations);
  const BankAccount = code.aggregates.get('BankAccount') as AggregateClass<Account>;
  const accounts = (s: EventStore) => new AggregateRepository(s, BankAccount);
  const root_ = accounts(store);
  await root_.update('alice', (a) => a.open({ ownerName: 'Alice', initialDeposit: '100.00' }), { create: true });
  await root_.update('alice', (a) => a.deposit({ amount: '25.50', reference: 'salary' }));
  await root_.update('alice', (a) => a.deposit({ amount: '10.00', reference: 'refund' }));
  await root_.update('alice', (a) => a.withdraw({ amount: '40.00', reference: 'transfer to bob' }));
  await root_.update('bob', (a) => a.open({ ownerName: 'Bob', initialDeposit: '5.00' }), { create: true });
  const withdrawal = await last(store, streamIdFor('BankAccount', 'alice'));
  await runInCommandContext(causedBy(withdrawal), () =>
    root_.update('bob', (a) => a.deposit({ amount: '40.00', reference: 'transfer from alice' })),
  );
  await accounts(store.forTenant('acme')).update(
    'acme-1',
    (a) => a.open({ ownerName: 'Acme Ltd', initialDeposit: '1000.00' }),
    { create: true },
  );
  await accounts(store.forTenant('globex')).update(
    'globex-1',
    (a) => a.open({ ownerName: 'Globex Corp', initialDeposit: '2000.00' }),
    { create: true },
  );
  // AccountSummary has handled Alice's first two events: its checkpoint lags behind the rest.
  for await (const stored of store.readStream(streamIdFor('BankAccount', 'alice'), { from: 2, limit: 1 }))
    await new SqlCheckpointStore(store.db).save('AccountSummary', stored.position);
  const deadLetters: Record<string, string> = {};
  const queue = new SqlDeadLetterQueue(store.db);
  for (const id of ['bob', 'acme-1', 'globex-1']) {
    const streamId = streamIdFor('BankAccount', id);
    for await (const stored of store.readStream(streamId, { limit: 1 })) {
      const entry = await queue.add({
        subscription: 'AccountSummary',
        eventId: stored.event.eventId,
        eventType: stored.event.eventType,
        streamId,
        position: stored.position,
        storedAt: stored.storedAt,
        record: toEventRecord(stored.event),
        error: 'Error: connection to the reporting database was reset',
        stack: 'Error: connection to the reporting database was reset\n    at AccountSummary.onAccountOpened',
        attempts: 5,
      });
      deadLetters[streamId] = entry.id;
    }
  }
  return {
    alice: streamIdFor('BankAccount', 'alice'),
    bob: streamIdFor('BankAccount', 'bob'),
    acme: streamIdFor('BankAccount', 'acme-1'),
    globex: streamIdFor('BankAccount', 'globex-1'),
    deadLetters,
  };
}

/**
 * Writes account `id` into the SQLite store at `file`: opened, then `deposits` deposits of 1, so
 * its timeline has `deposits + 1` versions.
 */
export async function seedLongAccount(file: string, code: ProjectCode, id: string, deposits: number): Promise<void> {
  const store = await SqliteEventStore.open({ filename: file, registry: code.registry });
  try {
    const BankAccount = code.aggregates.get('BankAccount') as AggregateClass<Account>;
    await new AggregateRepository(store, BankAccount).update(
      id,
      (a) => {
        a.open({ ownerName: 'Long', initialDeposit: '0' });
        for (let i = 0; i < deposits; i++) a.deposit({ amount: '1' });
      },
      { create: true },
    );
  } finally {
    await store.close();
  }
}

async function last(store: EventStore, streamId: string): Promise<DomainEvent> {
  for await (const stored of store.readStream(streamId, { direction: 'backward', limit: 1 })) return stored.event;
  throw new Error(`${streamId} is empty`);
}
