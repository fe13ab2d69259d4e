import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EventStore, Kysely } from '@eventsmith/runtime';
import { BankAccount } from '../../../../examples/bank/src/aggregates/bank-account.js';
import { createBankApp } from '../../../../generated/bank/index.js';
import { main } from '../main.js';

const REPO = join(import.meta.dirname, '..', '..', '..', '..');

/** The rows of AccountSummary after {@link seedBankAccounts}, as {@link accountSummaries} reads them. */
export const ACCOUNT_SUMMARIES = [
  { account_id: 'alice', owner_name: 'Alice', balance: 16.5, deposit_count: 2 },
  { account_id: 'bob', owner_name: 'Bob', balance: 8.25, deposit_count: 1 },
];

/**
 * The bank example as a project of its own, after its team changed AccountSummary's primary key:
 * `eventsmith generate` wrote `0002_recreate_account_summary`, which recreates the table empty
 * and names the projection in `rebuild`. Made inside the repository (in tmp/, which git ignores)
 * so that its generated code finds @eventsmith/runtime.
 */
export async function lossyBankProject(prefix: string): Promise<{ config: string; remove(): Promise<void> }> {
  await mkdir(join(REPO, 'tmp'), { recursive: true });
  const project = await mkdtemp(join(REPO, 'tmp', `${prefix}-`));
  await cp(join(REPO, 'examples', 'bank', 'domain'), join(project, 'domain'), { recursive: true });
  await cp(join(REPO, 'generated', 'bank'), join(project, 'generated'), { recursive: true });
  const config = join(project, 'eventsmith.config.yaml');
  await writeFile(config, 'domains:\n  - input: domain\n    output: generated\n    userDir: src\n');
  const yaml = join(project, 'domain', 'account-summary.yaml');
  await writeFile(
    yaml,
    (await readFile(yaml, 'utf8')).replace('primaryKey: account_id', 'primaryKey: [account_id, currency]'),
  );
  let printed = '';
  const status = await main(['generate', '--config', config], {
    cwd: project,
    out: (text) => void (printed += text),
    err: (text) => void (printed += text),
  });
  if (status !== 0 || !printed.includes('0002_recreate_account_summary.ts'))
    throw new Error(`generate did not write the migration (status ${status}):\n${printed}`);
  return { config, remove: () => rm(project, { recursive: true, force: true }) };
}

/**
 * The database as the app left it before the change: the bank app (the repository's generated
 * code, the project's before the change) migrated it, opened two accounts with deposits, and
 * AccountSummary holds their rows. `store` is opened with the bank's registry.
 */
export async function seedBankAccounts(store: EventStore): Promise<void> {
  const quiet = { warn: () => undefined, error: () => undefined };
  const app = await createBankApp({ store, aggregates: { bankAccount: BankAccount }, logger: quiet });
  try {
    for (const [id, ownerName, deposits] of [
      ['alice', 'Alice', ['10.00', '5.50']],
      ['bob', 'Bob', ['7.25']],
    ] as const) {
      await app.bankAccount.open(id, { ownerName, initialDeposit: '1.00' });
      for (const amount of deposits) await app.bankAccount.deposit(id, { amount });
    }
    await app.waitForProjections();
  } finally {
    await app.close();
  }
}

/** AccountSummary's rows, by account, with numbers as numbers on every database. */
export async function accountSummaries(db: Kysely<any>): Promise<unknown[]> {
  const rows = await db
    .selectFrom('account_summary')
    .select(['account_id', 'owner_name', 'balance', 'deposit_count'])
    .orderBy('account_id')
    .execute();
  return rows.map((row) => ({ ...row, balance: Number(row.balance), deposit_count: Number(row.deposit_count) }));
}
