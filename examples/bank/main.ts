/**
 * The bank example, end to end: `npm run example:bank` (after `eventsmith generate`).
 *
 *   tsx examples/bank/main.ts                 events and read model in an SQLite file
 *   tsx examples/bank/main.ts --store memory  events in memory (read model in in-memory SQLite)
 *
 * It migrates the database, runs commands against the BankAccount aggregate (including an
 * overdraft the aggregate rejects), runs the AccountSummary projection, and prints the account's
 * history, its balance and the read model.
 */
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AggregateRepository,
  CommandRejectedError,
  InMemoryEventStore,
  InMemorySnapshotStore,
  migrateProjections,
  migrateSubscriptionTables,
  SqlCheckpointStore,
  SqlDeadLetterQueue,
  streamIdFor,
  SubscriptionManager,
  type EventStore,
} from '@eventsmith/runtime';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import {
  bankAccountSnapshotPolicy,
  createBankProjections,
  createBankRegistry,
  projectionMigrations,
  type AccountSummaryRow,
  type ProjectionDatabase,
} from '../../generated/bank/index.js';
import { money } from '../decimal.js';
import { BankAccount } from './src/aggregates/bank-account.js';

const storeKind = process.argv.includes('--store') ? process.argv[process.argv.indexOf('--store') + 1] : 'sqlite';
if (storeKind !== 'sqlite' && storeKind !== 'memory') {
  console.error(`--store must be sqlite or memory, not "${storeKind}".`);
  process.exit(2);
}

const registry = createBankRegistry();
const file = join(dirname(fileURLToPath(import.meta.url)), 'bank.sqlite');

// The SQLite store creates its tables when it opens; the projection tables come from the
// generated migrations. With --store memory, events live in memory and the read model in an
// in-memory SQLite database.
await rm(file, { force: true });
await rm(`${file}-wal`, { force: true });
await rm(`${file}-shm`, { force: true });
const sqlite = await SqliteEventStore.open({ filename: storeKind === 'memory' ? ':memory:' : file, registry });
const store: EventStore = storeKind === 'memory' ? new InMemoryEventStore({ registry }) : sqlite;
const db = sqlite.db as unknown as ProjectionDatabase;
await migrateProjections(db, projectionMigrations);
console.log(`Store: ${storeKind === 'memory' ? 'in memory' : file}; projection tables migrated.\n`);

const accounts = new AggregateRepository(store, BankAccount, {
  snapshots: { store: new InMemorySnapshotStore(), policy: bankAccountSnapshotPolicy },
});
const id = 'acc-1001';

await accounts.update(id, (a) => a.open({ ownerName: 'Alice', initialDeposit: '100.00' }), { create: true });
await accounts.update(id, (a) => a.deposit({ amount: '25.50', reference: 'salary' }));
await accounts.update(id, (a) => a.withdraw({ amount: '40.00', reference: 'groceries' }));
try {
  await accounts.update(id, (a) => a.withdraw({ amount: '1000.00', reference: 'a car' }));
} catch (error) {
  if (!(error instanceof CommandRejectedError)) throw error;
  console.log(`Rejected by the aggregate: ${error.message}\n`);
}

console.log(`History of ${id}:`);
for await (const { event } of store.readStream(streamIdFor(BankAccount.aggregateType, id))) {
  console.log(`  v${event.aggregateVersion} ${event.eventType.padEnd(15)} ${JSON.stringify(event.data)}`);
}
const account = await accounts.load(id);
console.log(
  `\nBalance: ${money(account.state.balance)} ${account.state.currency} (status ${account.state.status}, version ${account.version})\n`,
);

// Run the projection under the subscription manager: it catches up from its checkpoint, and each
// batch's rows commit in one transaction with the checkpoint (the SQLite store's; with --store
// memory, the in-memory SQLite database that holds the read model).
await migrateSubscriptionTables(sqlite.db);
const manager = new SubscriptionManager({
  store,
  checkpoints: new SqlCheckpointStore(sqlite.db),
  deadLetters: new SqlDeadLetterQueue(sqlite.db),
});
const subscriptions = createBankProjections().map((p) =>
  manager.project(p, storeKind === 'memory' ? { db: sqlite.db } : {}),
);
await manager.start();
for (const subscription of subscriptions) {
  while ((await subscription.status()).lagEvents > 0) await new Promise((r) => setTimeout(r, 20));
}
await manager.stop();
const rows = (await db.selectFrom('account_summary').selectAll().execute()) as AccountSummaryRow[];
console.log('Read model (account_summary):');
for (const row of rows) {
  console.log(
    `  ${row.account_id}  ${row.owner_name}  ${money(row.balance)} ${row.currency}  deposits=${row.deposit_count} withdrawals=${row.withdrawal_count}  ${row.status}  v${row.last_version}`,
  );
}

await store.close();
if (store !== sqlite) await sqlite.close();
