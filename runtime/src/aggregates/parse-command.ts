import type { z } from 'zod';
import { CommandValidationError } from '../errors.js';

/** Which command a parse is for, named in the error. */
export interface CommandTarget {
  /** The aggregate type, e.g. `BankAccount`. */
  readonly aggregate: string;
  /** The command (method) name, e.g. `open`. */
  readonly command: string;
}

/**
 * Checks a command's parameters against its generated schema and returns them with the declared
 * defaults applied. Bad input throws {@link CommandValidationError}, listing every failing field
 * by its dotted path, before any state is read or written.
 *
 * @example
 * ```ts
 * const command = parseCommand(bankAccountOpenCommandSchema, input, { aggregate: 'BankAccount', command: 'open' });
 * command.currency; // 'EUR' when the input left it out
 * ```
 */
export function parseCommand<S extends z.ZodType>(schema: S, input: unknown, target: CommandTarget): z.output<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw new CommandValidationError(
    target.aggregate,
    target.command,
    parsed.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}
