/** Where a CLI-level problem is (a config file position), when there is one. */
export interface CliLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
}

/**
 * A problem the user can fix that is not in the domain YAML: the config file, a command-line
 * flag, a database URL. Same shape as the loader's errors: code, what, how to fix, where.
 */
export interface CliError {
  readonly code: string;
  readonly message: string;
  readonly fix: string;
  readonly where?: CliLocation;
}

/** Thrown inside the CLI to stop a command with a {@link CliError}; printed without a stack trace. */
export class CliFailure extends Error {
  constructor(readonly errors: readonly CliError[]) {
    super(errors.map((e) => e.message).join('; '));
  }
}

/** `file:line:col  message` / `  fix: …`, like the loader's errors. */
export function formatCliError(error: CliError): string {
  const lines = [
    error.where
      ? `${error.where.file}:${error.where.line}:${error.where.col}  ${error.message}`
      : `error: ${error.message}`,
  ];
  if (error.where?.path) lines.push(`  at ${error.where.path}  [${error.code}]`);
  else lines.push(`  [${error.code}]`);
  if (error.fix) lines.push(`  fix: ${error.fix}`);
  return lines.join('\n');
}
