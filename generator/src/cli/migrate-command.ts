import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventRegistry, migrateProjections } from '@eventsmith/runtime';
import { Layout } from '../emit/common/layout.js';
import { importTypeScript } from '../ops/import-typescript.js';
import { CliFailure } from './cli-error.js';
import type { EventsmithConfig } from '../config/config.js';
import type { CliIo } from './io.js';

/** A database named by `--db`. */
export type DatabaseTarget =
  | { readonly dialect: 'sqlite'; readonly filename: string }
  | { readonly dialect: 'postgres' | 'mysql'; readonly url: string };

/** `sqlite:app.db`, `app.sqlite`, `postgres://…`, `mysql://…` → a target; anything else is a usage error. */
export function parseDatabaseUrl(url: string, cwd: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//.test(url)) return { dialect: 'postgres', url };
  if (/^(mysql|mariadb):\/\//.test(url)) return { dialect: 'mysql', url: url.replace(/^mariadb:/, 'mysql:') };
  const sqlite = /^(sqlite|file):(?:\/\/)?(.+)$/.exec(url)?.[2] ?? (/\.(db|sqlite3?)$/.test(url) ? url : undefined);
  if (sqlite !== undefined)
    return { dialect: 'sqlite', filename: sqlite === ':memory:' ? sqlite : resolve(cwd, sqlite) };
  throw new CliFailure([
    {
      code: 'MIGRATE.DB_URL',
      message: `Cannot tell which database "${redact(url)}" is.`,
      fix: 'Use sqlite:<file> (or a path ending in .db/.sqlite), postgres://user@host/db or mysql://user@host/db.',
    },
  ]);
}

/**
 * `eventsmith migrate --db <url>`: creates or upgrades the event store tables, then applies
 * each domain's generated `projectionMigrations`.
 */
export async function migrateDatabase(io: CliIo, config: EventsmithConfig, url: string): Promise<void> {
  const target = parseDatabaseUrl(url, io.cwd);
  const migrations: { domain: string; migrations: Record<string, never> }[] = [];
  for (const domain of config.domains) {
    const index = join(config.root, new Layout({ outDir: domain.output, userDir: domain.userDir }).migrationsIndex);
    try {
      await stat(index);
    } catch {
      continue; // a domain without projections
    }
    const module = (await importTypeScript(pathToFileURL(index).href)) as {
      projectionMigrations?: Record<string, never>;
    };
    if (!module.projectionMigrations) {
      throw new CliFailure([
        {
          code: 'MIGRATE.NOT_GENERATED',
          message: `${index} does not export projectionMigrations.`,
          fix: 'Run `eventsmith generate` first.',
        },
      ]);
    }
    migrations.push({ domain: domain.output, migrations: module.projectionMigrations });
  }
  const { db, close } = await open(target);
  try {
    for (const m of migrations) {
      const result = await migrateProjections(db as never, m.migrations);
      const applied = (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
      io.out(`${m.domain}: ${applied.length ? `applied ${applied.join(', ')}` : 'projection tables up to date'}.\n`);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (migrations.length > 1 && /corrupted migrations|previously executed migration/i.test(message)) {
      throw new CliFailure([
        {
          code: 'MIGRATE.SHARED_DATABASE',
          message: `The projection migrations of ${migrations.map((m) => m.domain).join(' and ')} cannot share one database: the runtime records them in a single migration table.`,
          fix: 'Migrate each domain into its own database (a config per domain, or one --config with a single domain).',
        },
      ]);
    }
    throw new CliFailure([
      {
        code: 'MIGRATE.FAILED',
        message: `A migration failed: ${error instanceof Error ? error.message : String(error)}.`,
        fix: 'Check the database and the generated migrations; nothing after the failing migration was applied.',
      },
    ]);
  } finally {
    await close();
  }
  io.out(
    `Event store and projection tables are ready in ${target.dialect === 'sqlite' ? target.filename : redact(target.url)}.\n`,
  );
}

async function open(target: DatabaseTarget): Promise<{ db: unknown; close: () => Promise<void> }> {
  const registry = EventRegistry.create({ events: [] });
  try {
    if (target.dialect === 'sqlite') {
      const { SqliteEventStore } = (await import('@eventsmith/runtime/sqlite')) as {
        SqliteEventStore: StoreClass<{ filename: string }>;
      };
      const store = await SqliteEventStore.open({ filename: target.filename, registry, migrate: true });
      return { db: store.db, close: () => store.close() };
    }
    // One import per entry (not a template), so bundlers and vite see which modules this can load.
    const Store =
      target.dialect === 'postgres'
        ? ((await import('@eventsmith/runtime/postgres')) as { PostgresEventStore: StoreClass<{ url: string }> })
            .PostgresEventStore
        : ((await import('@eventsmith/runtime/mysql')) as { MysqlEventStore: StoreClass<{ url: string }> })
            .MysqlEventStore;
    const store = await Store.open({ url: target.url, registry, migrate: true });
    return { db: store.db, close: () => store.close() };
  } catch (error) {
    throw new CliFailure([
      {
        code: 'MIGRATE.CONNECT',
        message: `Cannot open the ${target.dialect} event store: ${error instanceof Error ? redact(error.message) : String(error)}.`,
        fix: 'Check that the database is running and the URL is right.',
      },
    ]);
  }
}

interface StoreClass<O> {
  open(
    options: O & { registry: EventRegistry; migrate: boolean },
  ): Promise<{ readonly db: unknown; close(): Promise<void> }>;
}

function redact(text: string): string {
  return text.replace(/\/\/([^:@/]+):([^@/]+)@/g, '//$1:***@');
}
