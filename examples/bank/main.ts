/**
 * The bank example, end to end: `npm run example:bank` (after `eventsmith generate`).
 *
 *   tsx examples/bank/main.ts                 events and read model in an SQLite file
 *   tsx examples/bank/main.ts --store memory  events in memory (read model in in-memory SQLite)
 *
 * One call wires the app (`createBankApp`): it migrates the tables and runs the AccountSummary
 * projection. The example runs commands against the BankAccount aggregate (one with invalid
 * parameters, one the aggregate rejects), waits for the read model, and prints the account's
 * history, its balance and the read model.
 */
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CommandError,
  CommandValidationError,
  InMemoryEventStore,
  InMemorySnapshotStore,
  streamIdFor,
  type EventStore,
} from '@eventsmith/runtime';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { createBankApp, createBankRegistry, type AccountSummaryRow } from '../../generated/bank/index.js';
import { money } from '../decimal.js';
import { BankAccount } from './src/aggregates/bank-account.js';

const storeKind = process.argv.includes('--store') ? process.argv[process.argv.indexOf('--store') + 1] : 'sqlite';
if (storeKind !== 'sqlite' && storeKind !== 'memory') {
  console.error(`--store must be sqlite or memory, not "${storeKind}".`);
  process.exit(2);
}

const registry = createBankRegistry();
const file = join(dirname(fileURLToPath(import.meta.url)), 'bank.sqlite');
for (const suffix of ['', '-wal', '-shm']) await rm(`${file}${suffix}`, { force: true });
// With --store memory, events live in memory and the read model in an in-memory SQLite database.
const sqlite = await SqliteEventStore.open({ filename: storeKind === 'memory' ? ':memory:' : file, registry });
const store: EventStore = storeKind === 'memory' ? new InMemoryEventStore({ registry }) : sqlite;

const app = await createBankApp({
  store,
  database: sqlite.db,
  aggregates: { bankAccount: BankAccount },
  snapshots: new InMemorySnapshotStore(),
});
console.log(`Store: ${storeKind === 'memory' ? 'in memory' : file}. Migrated:`);
for (const step of app.migrations.steps) {
  console.log(`  ${step.domain ?? step.tables}: ${step.applied.join(', ') || 'up to date'}`);
}

const id = 'acc-1001';
// `currency` is left out: the command's schema fills in its default (EUR).
await app.bankAccount.open(id, { ownerName: 'Alice', initialDeposit: '100.00' });
await app.bankAccount.deposit(id, { amount: '25.50', reference: 'salary' });
await app.bankAccount.withdraw(id, { amount: '40.00', reference: 'groceries' });
for (const attempt of [
  () => app.bankAccount.deposit(id, { amount: 'ten euros' }),
  () => app.bankAccount.withdraw(id, { amount: '1000.00', reference: 'a car' }),
]) {
  try {
    await attempt();
  } catch (error) {
    // Invalid parameters and a refusal by the aggregate are both a CommandError.
    if (!(error instanceof CommandError)) throw error;
    console.log(
      error instanceof CommandValidationError
        ? `\nInvalid command: ${error.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`
        : `\nRejected by the aggregate: ${error.message}`,
    );
  }
}

console.log(`\nHistory of ${id}:`);
for await (const { event } of store.readStream(streamIdFor(BankAccount.aggregateType, id))) {
  console.log(`  v${event.aggregateVersion} ${event.eventType.padEnd(15)} ${JSON.stringify(event.data)}`);
}
const account = await app.repository('bankAccount').load(id);
console.log(
  `\nBalance: ${money(account.state.balance)} ${account.state.currency} (status ${account.state.status}, version ${account.version})\n`,
);

// Read your writes: wait until the projection has handled everything stored so far.
await app.waitForProjections();
const rows = (await app.database!.selectFrom('account_summary').selectAll().execute()) as AccountSummaryRow[];
console.log('Read model (account_summary):');
for (const row of rows) {
  console.log(
    `  ${row.account_id}  ${row.owner_name}  ${money(row.balance)} ${row.currency}  deposits=${row.deposit_count} withdrawals=${row.withdrawal_count}  ${row.status}  v${row.last_version}`,
  );
}

await app.close();
await store.close();
if (store !== sqlite) await sqlite.close();
