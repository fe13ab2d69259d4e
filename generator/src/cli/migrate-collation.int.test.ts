import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeWithService, freshMysqlDatabase } from '@eventsmith/test/support/services';
import { main } from './main.js';

const REPO = join(import.meta.dirname, '..', '..', '..');
const CONFIG = join(REPO, 'eventsmith.config.yaml');

async function migrate(url: string): Promise<{ status: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const status = await main(['migrate', '--db', url, '--config', CONFIG], {
    cwd: REPO,
    out: (text) => void (out += text),
    err: (text) => void (err += text),
  });
  return { status, out, err };
}

async function query(url: string, statement: string): Promise<unknown[]> {
  const mysql = await import('mysql2/promise');
  const connection = await mysql.createConnection(url);
  try {
    return (await connection.query(statement))[0] as unknown[];
  } finally {
    await connection.end();
  }
}

// Projection tables created before projection migrations gave new tables a binary collation keep
// the database default; `eventsmith migrate` says which and how to convert them.
await describeWithService('mysql', 'eventsmith migrate and the collation of projection tables on MariaDB', () => {
  let database: { url: string; drop(): Promise<void> };
  beforeEach(async () => {
    database = await freshMysqlDatabase('es_coll');
    await query(database.url, 'alter database character set utf8mb4 collate utf8mb4_general_ci');
  });
  afterEach(async () => database?.drop());

  it('creates projection tables that compare exactly, and warns of one created before, until it is converted', async () => {
    const first = await migrate(database.url);
    expect(first.status).toBe(0);
    expect(first.err).toBe('');
    const collations = (await query(
      database.url,
      `select table_name as name, table_collation as collation from information_schema.tables
       where table_schema = database() and table_name in ('account_summary', 'order_summaries', 'eventsmith_checkpoints')`,
    )) as { name: string; collation: string }[];
    expect(collations.map((c) => c.collation)).toEqual(['utf8mb4_nopad_bin', 'utf8mb4_nopad_bin', 'utf8mb4_nopad_bin']);

    // As a table created by an earlier version.
    await query(
      database.url,
      'alter table account_summary convert to character set utf8mb4 collate utf8mb4_general_ci',
    );
    const warned = await migrate(database.url);
    expect(warned.status).toBe(0);
    const dbArgument = database.url;
    expect(warned.err).toBe(
      'warning: projection table account_summary compares text by utf8mb4_general_ci, which ignores case and trailing spaces: keys such as "A1", "a1" and "a1 " are one row there, and three on SQLite and PostgreSQL. ' +
        'Convert it (it keeps its rows): alter table `account_summary` convert to character set utf8mb4 collate utf8mb4_nopad_bin; ' +
        `Then, if its keys may differ only in case or trailing spaces, rebuild it: eventsmith projections rebuild AccountSummary --db ${dbArgument}\n`,
    );

    await query(
      database.url,
      'alter table `account_summary` convert to character set utf8mb4 collate utf8mb4_nopad_bin;',
    );
    const converted = await migrate(database.url);
    expect(converted.status).toBe(0);
    expect(converted.err).toBe('');
  }, 120_000);
});
