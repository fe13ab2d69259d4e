import { EventsmithError } from '../errors.js';

/**
 * What {@link reactionNotWritten} returns: a value that is no `void`, named after the reaction, so
 * that the compiler's error names it (`Type 'ReactionNotWritten<"NotifyCustomer">' is not
 * assignable to type 'void'`).
 */
export type ReactionNotWritten<Reaction extends string> = {
  readonly [K in `${Reaction} is not written yet`]: never;
};

/** Thrown when a custom reaction stub runs without having been type-checked (e.g. under tsx or vitest). */
export class ReactionNotWrittenError extends EventsmithError {
  constructor(readonly reaction: string) {
    super('REACTION.NOT_WRITTEN', `The reaction ${reaction} is not written yet: write its body in place of the stub.`);
  }
}

/**
 * The body of the stub that `eventsmith generate` writes for a `run: custom` reaction: the stub
 * does not compile until the body is replaced (the error names the reaction), and a stub that runs
 * anyway throws {@link ReactionNotWrittenError}. Replace the `return` with what the reaction does.
 *
 * @example
 * ```ts
 * export const notifyCustomer: ShopCustomReactions['NotifyCustomer'] = async (event, context) => {
 *   return reactionNotWritten('NotifyCustomer'); // does not compile: write the body
 * };
 * ```
 */
export function reactionNotWritten<const Reaction extends string>(reaction: Reaction): ReactionNotWritten<Reaction> {
  throw new ReactionNotWrittenError(reaction);
}
