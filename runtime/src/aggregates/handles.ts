import '../polyfills.js';
import { DuplicateHandlerError, InvalidArgumentError } from '../errors.js';
import type { EventClass, EventOf } from '../events/domain-event.js';

const HANDLERS = Symbol('eventsmith.handlers');
const OWN = Symbol('eventsmith.ownHandlers');

/** Event type name → name of the method that handles it. */
export type HandlerTable = ReadonlyMap<string, string | symbol>;

/**
 * Marks a method as the handler of one event class. The method receives that event, typed, and
 * returns the aggregate's (or projection's) next state. Handlers are collected when the class is
 * defined; two handlers for one event on one class throw {@link DuplicateHandlerError} right away.
 *
 * @example
 * ```ts
 * class BankAccount extends AggregateRoot<BankAccountState> {
 *   @handles(MoneyDeposited)
 *   onMoneyDeposited(event: MoneyDeposited): BankAccountState {
 *     return { ...this.state, balance: add(this.state.balance, event.data.amount) };
 *   }
 * }
 * ```
 */
export function handles<C extends EventClass>(eventClass: C) {
  if (typeof eventClass?.eventType !== 'string') {
    throw new InvalidArgumentError('@handles() takes an event class made with defineEvent().');
  }
  return function <This extends { readonly state: unknown }>(
    _method: (this: This, event: EventOf<C>) => This['state'],
    context: ClassMethodDecoratorContext<This, (this: This, event: EventOf<C>) => This['state']>,
  ): void {
    if (context.static || context.private) {
      throw new InvalidArgumentError(`@handles(${eventClass.eventType}) must decorate a public instance method, not ${String(context.name)}.`);
    }
    const metadata = context.metadata as Record<symbol, unknown>;
    // Each class gets its own table, seeded from its parent's, so sibling subclasses never share one.
    if (!Object.hasOwn(metadata, HANDLERS)) {
      metadata[HANDLERS] = new Map(metadata[HANDLERS] as HandlerTable | undefined);
      metadata[OWN] = new Set<string>();
    }
    const own = metadata[OWN] as Set<string>;
    if (own.has(eventClass.eventType)) {
      throw new DuplicateHandlerError(String(context.name), eventClass.eventType);
    }
    own.add(eventClass.eventType);
    (metadata[HANDLERS] as Map<string, string | symbol>).set(eventClass.eventType, context.name);
  };
}

/** The handler table of a class (inherited handlers included). Empty when it has none. */
export function handlerTable(cls: abstract new (...args: never[]) => unknown): HandlerTable {
  const metadata = (cls as { [Symbol.metadata]?: Record<symbol, unknown> | null })[Symbol.metadata];
  return (metadata?.[HANDLERS] as HandlerTable | undefined) ?? EMPTY;
}

const EMPTY: HandlerTable = new Map();
