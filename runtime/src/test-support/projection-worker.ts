/**
 * A separate process that runs the balance projection under a SubscriptionManager, for the
 * kill-and-restart and two-process tests. Usage:
 *   node --import tsx projection-worker.ts <sqlite|postgres|mysql> <file-or-url> <worker-tag>
 * Prints "ready" once started; stops gracefully on SIGTERM.
 */
import { SubscriptionManager } from '../subscriptions/subscription-manager.js';
import { SqlCheckpointStore } from '../subscriptions/sql/sql-checkpoint-store.js';
import { SqlDeadLetterQueue } from '../subscriptions/sql/sql-dead-letter-queue.js';
import { SqlLeaseLock } from '../subscriptions/sql/sql-lease-lock.js';
import { PostgresAdvisoryLock } from '../subscriptions/sql/postgres-advisory-lock.js';
import { migrateSubscriptionTables } from '../subscriptions/sql/subscription-tables.js';
import type { SqlDialectName } from '../store/sql/sql-dialect.js';
import { balanceProjection, createBalanceTables } from './balance-projection.js';
import { openStore } from './open-store.js';

const [dialect, url, tag] = process.argv.slice(2) as [SqlDialectName, string, string];
const store = await openStore(dialect, url);
await migrateSubscriptionTables(store.db);
await createBalanceTables(store.db);
const manager = new SubscriptionManager({
  store,
  checkpoints: new SqlCheckpointStore(store.db),
  deadLetters: new SqlDeadLetterQueue(store.db),
  lock:
    dialect === 'postgres'
      ? new PostgresAdvisoryLock(store.db, { heartbeatMs: 200 })
      : new SqlLeaseLock(store.db, { ttlMs: 1000 }),
  lockRetryMs: 50,
  pollIntervalMs: 50,
  onError: (name, error) => process.stderr.write(`${tag} ${name}: ${error.kind} ${error.message}\n`),
});
manager.project(balanceProjection(dialect, tag, { delayEvery: 5 }), {
  batchSize: 20,
  retry: { maxAttempts: 2, initialDelayMs: 1 },
});
// runUntilSignal installs its SIGINT/SIGTERM listeners synchronously when called; "ready" must come
// after that, or a SIGTERM sent right after "ready" (the test does so when earlier runs already
// caught up) meets no listener and kills the process with the default action.
const running = manager.runUntilSignal({ stopTimeoutMs: 5000 });
process.stdout.write('ready\n');
await running;
await store.close();
process.exit(0);
