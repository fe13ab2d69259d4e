import type { ProjectError } from '../config/project-error.js';

/**
 * A problem the user can fix, met by the operations tools: a database URL, a store that cannot be
 * opened, generated code that is missing. The CLI prints its errors as it prints its own.
 *
 * @example
 * ```ts
 * throw new OpsFailure([{ code: 'OPS.NO_DATABASE', message: 'There is no SQLite database at app.db.', fix: 'Check the path.' }]);
 * ```
 */
export class OpsFailure extends Error {
  /** `usage`: a value the user typed is wrong (a `--db` URL of no known database): the CLI exits with status 2. */
  constructor(
    readonly errors: readonly ProjectError[],
    readonly usage = false,
  ) {
    super(errors.map((e) => e.message).join('; '));
  }
}

/**
 * The runtime's DriverNotInstalledError (`DRIVER.NOT_INSTALLED`, e.g. `pg` missing for a
 * postgres:// URL) as an error that names the install command, rather than "check that the
 * database is running"; undefined for any other error.
 */
export function driverNotInstalled(error: unknown): ProjectError | undefined {
  const { code, message, fix } = (error ?? {}) as { code?: unknown; message?: unknown; fix?: unknown };
  if (code !== 'DRIVER.NOT_INSTALLED' || typeof message !== 'string' || typeof fix !== 'string') return undefined;
  return { code, message, fix: `Run ${fix} in your project, then run the command again.` };
}
