import { EventsmithError } from '../errors.js';

/**
 * Thrown by a command stub that `eventsmith generate` wrote into a user-owned aggregate class and
 * whose body is not written yet. Not a `CommandError`: the command was not refused, its code
 * is missing.
 */
export class CommandNotWrittenError extends EventsmithError {
  constructor(readonly command: string) {
    super(
      'COMMAND.NOT_WRITTEN',
      `${command} is not written yet: write its body in the aggregate class (check this.state, then raise its events) in place of the commandNotWritten call.`,
    );
  }
}

/**
 * The body of a command stub that `eventsmith generate` writes into a user-owned aggregate class:
 * it throws {@link CommandNotWrittenError}, as a handler stub throws `HandlerNotWrittenError`.
 * Replace the call with the command's checks and the events it raises.
 *
 * @example
 * ```ts
 * deposit(command: DepositCommand): void {
 *   commandNotWritten('BankAccount.deposit'); // write the body
 * }
 * ```
 */
export function commandNotWritten(command: string): never {
  throw new CommandNotWrittenError(command);
}
