/**
 * Which external services the tests can reach, and how to get a private, disposable space on
 * each. Integration suites call `describeWithService(...)`: when the service is down the suite is
 * skipped with a reason (printed in the summary by global-setup), except under `CI=true`, where a
 * missing service fails the run.
 *
 * Service URLs come from environment variables, with this machine's defaults:
 *   POSTGRES_URL   postgres://postgres@127.0.0.1:5432/test
 *   MYSQL_URL      mysql://root@127.0.0.1:3306/test
 *   REDIS_URL      redis://127.0.0.1:6379
 *   AMQP_URL       amqp://guest:guest@127.0.0.1:5672
 *   NATS_URL       nats://127.0.0.1:4222
 *   KAFKA_BROKERS  (unset: the Kafka suite runs against librdkafka's mock cluster when `kcat` is installed)
 */
import { randomBytes } from 'node:crypto';
import { describe } from 'vitest';
import { isCI, probe, serviceUrl, type ServiceName } from './probe.js';

export * from './probe.js';

/**
 * `describe` for a suite that needs a service. Skipped (with the reason in its name) when the
 * service is unreachable, unless CI=true, in which case the suite fails.
 */
export async function describeWithService(name: ServiceName, title: string, fn: () => void): Promise<void> {
  const reason = await probe(name);
  if (reason === undefined) {
    describe(title, fn);
  } else if (isCI) {
    describe(title, () => {
      throw new Error(`${name} is required under CI=true but is unavailable: ${reason}`);
    });
  } else {
    describe.skip(`${title} [skipped: ${name} unavailable: ${reason}]`, fn);
  }
}

/** A short random suffix for names of databases, schemas, queues and streams made by one test. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/**
 * Creates a fresh PostgreSQL database (named `<prefix>_<random>`) and returns its URL plus a
 * function that drops it. Each suite gets its own, so suites (and developers) running in parallel
 * never collide.
 */
export async function freshPostgresDatabase(prefix = 'es_test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const { default: pg } = await import('pg');
  const adminUrl = serviceUrl('postgres')!;
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await connectionsClosed(client, name);
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/**
 * Waits (up to 2 s) until no session is connected to `database`. A pool's `end()` resolves once
 * it has asked its connections to close, before the server has closed them; a forced drop then
 * terminated them, and a client that nobody listened to any more threw the server's "terminating
 * connection due to administrator command" as an uncaught error in the test run. Sessions a test
 * leaves open are still terminated by the forced drop after the wait.
 */
async function connectionsClosed(admin: import('pg').Client, database: string): Promise<void> {
  for (let attempt = 0; attempt < 40; attempt++) {
    const { rows } = await admin.query<{ n: number }>(
      'select count(*)::int as n from pg_stat_activity where datname = $1',
      [database],
    );
    if (rows[0]!.n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Creates a fresh MariaDB/MySQL database; returns its URL and a function that drops it. */
export async function freshMysqlDatabase(prefix = 'es_test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const mysql = await import('mysql2/promise');
  const adminUrl = serviceUrl('mysql')!;
  const name = uniqueName(prefix);
  const admin = await mysql.createConnection(adminUrl);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const connection = await mysql.createConnection(adminUrl);
      await connection.query(`DROP DATABASE IF EXISTS ${name}`);
      await connection.end();
    },
  };
}
