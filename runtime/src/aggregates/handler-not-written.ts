import { EventsmithError } from '../errors.js';

/**
 * What {@link handlerNotWritten} returns: an object that is no aggregate state, named after the
 * handler, so that the compiler's error names it (`Property 'balance' is missing in type
 * 'HandlerNotWritten<"BankAccount.onMoneyDeposited">'…`).
 */
export type HandlerNotWritten<Handler extends string> = {
  readonly [K in `${Handler} is not written yet`]: never;
};

/** Thrown when a handler stub runs without having been type-checked (e.g. under tsx or vitest). */
export class HandlerNotWrittenError extends EventsmithError {
  constructor(readonly handler: string) {
    super('HANDLER.NOT_WRITTEN', `${handler} is not written yet: return the state after its event.`);
  }
}

/**
 * The body of a handler stub that `eventsmith generate` writes into a user-owned aggregate class:
 * the class does not compile until the body is replaced (the error names the handler), and a stub
 * that runs anyway throws {@link HandlerNotWrittenError}. Replace the `return` with the state after
 * the event.
 *
 * @example
 * ```ts
 * @handles(MoneyDeposited)
 * onMoneyDeposited(event: MoneyDeposited): BankAccountState {
 *   return handlerNotWritten('BankAccount.onMoneyDeposited'); // does not compile: write the body
 * }
 * ```
 */
export function handlerNotWritten<const Handler extends string>(handler: Handler): HandlerNotWritten<Handler> {
  throw new HandlerNotWrittenError(handler);
}
