/**
 * A PostgreSQL login role that does not own the tables it is granted, for row-level security tests: a table's owner
 * bypasses its policies, so only a role like this one shows what an application connection sees.
 */
import { serviceUrl, uniqueName } from './services.js';

export interface NonOwnerRole {
  readonly name: string;
  /** The database's URL with this role as the user. */
  readonly url: string;
  /** Drops the role. Call it after the database that holds its grants has been dropped. */
  drop(): Promise<void>;
}

/**
 * Creates a login role with a unique name (starting with `prefix`) in the server of `databaseUrl` and runs
 * `grant <grant> to <role>` for each entry of `grants` in that database.
 *
 * @example
 * const role = await createNonOwnerRole(fresh.url, 'es_dlq', [
 *   'select, insert, update, delete on eventsmith_dead_letters',
 *   'usage on sequence eventsmith_dead_letters_id_seq',
 * ]);
 */
export async function createNonOwnerRole(
  databaseUrl: string,
  prefix: string,
  grants: readonly string[],
): Promise<NonOwnerRole> {
  const { default: pg } = await import('pg');
  const name = uniqueName(prefix);
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  try {
    await admin.query(`create role ${name} login`);
    try {
      for (const grant of grants) await admin.query(`grant ${grant} to ${name}`);
    } catch (error) {
      // Leave no role behind (with the grants that did succeed) for a setup that failed.
      await admin.query(`drop owned by ${name}`).catch(() => {});
      await admin.query(`drop role if exists ${name}`).catch(() => {});
      throw error;
    }
  } finally {
    await admin.end();
  }
  const url = new URL(databaseUrl);
  url.username = name;
  return {
    name,
    url: url.toString(),
    async drop() {
      const server = new pg.Client({ connectionString: serviceUrl('postgres') });
      await server.connect();
      try {
        await server.query(`drop role if exists ${name}`);
      } finally {
        await server.end();
      }
    },
  };
}
