import type { ProjectError } from '../config/project-error.js';
import type { OpsFailure } from '../ops/ops-failure.js';

/** What the CLI reports besides domain errors: a {@link ProjectError} (config, flags, URLs). */
export type CliError = ProjectError;

/** Thrown inside the CLI to stop a command with a {@link CliError}; printed without a stack trace. */
export class CliFailure extends Error {
  /**
   * `outcome`: what the command did before it failed, printed after the errors instead of
   * "nothing was written" (for a command that changes things step by step, such as `migrate`);
   * null prints the count of errors alone.
   */
  constructor(
    readonly errors: readonly CliError[],
    readonly outcome?: string | null,
  ) {
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

/**
 * A {@link CliFailure} for a usage error: a flag, or a value the user typed, is wrong (a domain name
 * that is not PascalCase, a --db URL of no known database). The CLI exits with status 2, as each
 * command's help says.
 */
export function usageFailure(...errors: readonly CliError[]): CliFailure {
  return Object.assign(new CliFailure(errors), { usage: true });
}

/** An {@link OpsFailure} as a {@link CliFailure}: a usage error when it says so. */
export function cliFailureOf(error: OpsFailure): CliFailure {
  return error.usage ? usageFailure(...error.errors) : new CliFailure(error.errors);
}
