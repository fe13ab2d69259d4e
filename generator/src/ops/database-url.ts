import { resolve } from 'node:path';
import { OpsFailure } from './ops-failure.js';

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
  throw new OpsFailure(
    [
      {
        code: 'DB.URL',
        message: `Cannot tell which database "${redact(url)}" is.`,
        fix: 'Use sqlite:<file> (or a path ending in .db/.sqlite), postgres://user@host/db or mysql://user@host/db.',
      },
    ],
    true,
  );
}

/** The URL with its password replaced by `***`, for messages. */
export function redact(text: string): string {
  return text.replace(/\/\/([^:@/]+):([^@/]+)@/g, '//$1:***@');
}
