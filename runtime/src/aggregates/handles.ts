import '../polyfills.js';
import { DuplicateHandlerError, InvalidArgumentError } from '../errors.js';
import type { EventClass, EventOf } from '../events/domain-event.js';

const HANDLERS = Symbol('eventsmith.handlers');
const OWN = Symbol('eventsmith.ownHandlers');

/** Event type name → name of the method that handles it. */
export type HandlerTable = ReadonlyMap<string, string | symbol>;

/** A method that handles events of class `C` on `This`, returning its next state. */
export type HandlerMethod<This extends { readonly state: unknown }, C extends EventClass> = (
  this: This,
  event: EventOf<C>,
) => This['state'];

/**
 * The method decorator `@handles(EventClass)` returns. It works under both decorator modes of TypeScript:
 * standard decorators (the default since TypeScript 5.0) and `experimentalDecorators: true` (NestJS, TypeORM).
 */
export interface HandlesDecorator<C extends EventClass> {
  /** Standard (TC39) decorators. */
  <This extends { readonly state: unknown }>(
    method: HandlerMethod<This, C>,
    context: ClassMethodDecoratorContext<This, HandlerMethod<This, C>>,
  ): void;
  /** Legacy decorators (`experimentalDecorators: true`). */
  <This extends { readonly state: unknown }>(
    prototype: This,
    name: string | symbol,
    descriptor: TypedPropertyDescriptor<HandlerMethod<This, C>>,
  ): void;
}

/**
 * Marks a method as the handler of one event class. The method receives that event, typed, and
 * returns the aggregate's (or projection's) next state. Handlers are collected when the class is
 * defined; two handlers for one event on one class throw {@link DuplicateHandlerError} right away.
 * Works with standard decorators and with `experimentalDecorators: true`.
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
export function handles<C extends EventClass>(eventClass: C): HandlesDecorator<C> {
  if (typeof eventClass?.eventType !== 'string') {
    throw new InvalidArgumentError('@handles() takes an event class made with defineEvent().');
  }
  const eventType = eventClass.eventType;
  return function (target: unknown, contextOrName: unknown, descriptor?: unknown): void {
    if (isStandardContext(contextOrName)) decorateStandard(eventType, contextOrName);
    else decorateLegacy(eventType, target, contextOrName, descriptor);
  } as HandlesDecorator<C>;
}

/** The handler table of a class (inherited handlers included). Empty when it has none. */
export function handlerTable(cls: abstract new (...args: never[]) => unknown): HandlerTable {
  let table = TABLES.get(cls);
  if (table === undefined) {
    table = buildTable(cls);
    TABLES.set(cls, table);
  }
  return table;
}

const EMPTY: HandlerTable = new Map();
/** Handler tables by class, built on first use (decorators have all run by then). */
const TABLES = new WeakMap<object, HandlerTable>();
/** Handlers a class declares itself through legacy decorators, by class. */
const LEGACY_OWN = new WeakMap<object, Map<string, string | symbol>>();

function isStandardContext(value: unknown): value is DecoratorContext {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

function decorateStandard(eventType: string, context: DecoratorContext): void {
  if (context.kind !== 'method' || context.static || context.private) {
    throw new InvalidArgumentError(
      `@handles(${eventType}) must decorate a public instance method, not ${String(context.name)}.`,
    );
  }
  // `metadata` exists when Symbol.metadata did when the class was defined (polyfills.ts installs it).
  const metadata = context.metadata as Record<symbol, unknown> | undefined;
  if (metadata === undefined) {
    throw new InvalidArgumentError(
      `@handles(${eventType}) found no decorator metadata: import @eventsmith/runtime before the class that uses it is defined.`,
    );
  }
  // Each class gets its own table, seeded from its parent's, so sibling subclasses never share one.
  if (!Object.hasOwn(metadata, HANDLERS)) {
    metadata[HANDLERS] = new Map(metadata[HANDLERS] as HandlerTable | undefined);
    metadata[OWN] = new Set<string>();
  }
  const own = metadata[OWN] as Set<string>;
  if (own.has(eventType)) throw new DuplicateHandlerError(String(context.name), eventType);
  own.add(eventType);
  (metadata[HANDLERS] as Map<string, string | symbol>).set(eventType, context.name);
}

function decorateLegacy(eventType: string, target: unknown, name: unknown, descriptor: unknown): void {
  const isMethod = typeof (descriptor as PropertyDescriptor | undefined)?.value === 'function';
  if (
    typeof target !== 'object' ||
    target === null ||
    (typeof name !== 'string' && typeof name !== 'symbol') ||
    !isMethod
  ) {
    const what = typeof target === 'function' ? `static member ${String(name)}` : String(name);
    throw new InvalidArgumentError(`@handles(${eventType}) must decorate a public instance method, not ${what}.`);
  }
  const cls = (target as { constructor: object }).constructor;
  let own = LEGACY_OWN.get(cls);
  if (own === undefined) LEGACY_OWN.set(cls, (own = new Map()));
  if (own.has(eventType)) throw new DuplicateHandlerError(String(name), eventType);
  own.set(eventType, name);
}

function buildTable(cls: object): HandlerTable {
  const metadata = (cls as { [Symbol.metadata]?: Record<symbol, unknown> | null })[Symbol.metadata];
  const standard = metadata?.[HANDLERS] as HandlerTable | undefined;
  const legacy: Map<string, string | symbol>[] = [];
  for (let c: object | null = cls; c !== null && c !== Function.prototype; c = Object.getPrototypeOf(c)) {
    const own = LEGACY_OWN.get(c);
    if (own !== undefined) legacy.unshift(own);
  }
  if (legacy.length === 0) return standard ?? EMPTY;
  // Legacy handlers of a class override those of its parents.
  const table = new Map(standard);
  for (const own of legacy) for (const [type, method] of own) table.set(type, method);
  return table;
}
