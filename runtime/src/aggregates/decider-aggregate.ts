import type { DomainEvent } from '../events/domain-event.js';
import { AggregateRoot } from './aggregate-root.js';
import { currentCommandContext, type CommandContext } from './command-context.js';

/**
 * The decider style: an aggregate written as two pure functions. `decide` turns a command and the
 * current state into events (or throws to reject the command); `evolve` folds one event into the
 * state. `execute` runs `decide` to completion before applying anything, then applies all the
 * events as one step, so a rejected command, or an `evolve` that throws, leaves the aggregate
 * untouched. Loading, saving and snapshots work exactly as for any other aggregate.
 *
 * @example
 * ```ts
 * type Command = { kind: 'deposit'; amount: number } | { kind: 'withdraw'; amount: number };
 *
 * class Wallet extends DeciderAggregate<{ balance: number }, Command, Deposited | Withdrawn> {
 *   static override readonly aggregateType = 'Wallet';
 *   protected initialState() { return { balance: 0 }; }
 *   protected decide(command: Command, state: { balance: number }) {
 *     if (command.kind === 'deposit') return [new Deposited({ amount: command.amount })];
 *     if (command.amount > state.balance) throw new CommandRejectedError('Insufficient funds.');
 *     return [new Withdrawn({ amount: command.amount })];
 *   }
 *   protected evolve(state: { balance: number }, event: Deposited | Withdrawn) {
 *     return event instanceof Deposited
 *       ? { balance: state.balance + event.data.amount }
 *       : { balance: state.balance - event.data.amount };
 *   }
 * }
 *
 * await wallets.update('w-1', (wallet) => wallet.execute({ kind: 'deposit', amount: 10 }), { create: true });
 * ```
 */
export abstract class DeciderAggregate<
  State,
  Command,
  E extends DomainEvent = DomainEvent,
> extends AggregateRoot<State> {
  /** The events a command produces in `state`. Throw (e.g. `CommandRejectedError`) to reject it. Must not change anything. */
  protected abstract decide(command: Command, state: State): readonly E[];

  /** The state after one event. Must be pure: return a new state, do not change `state`. */
  protected abstract evolve(state: State, event: E): State;

  /**
   * Decides, then stamps and applies every resulting event. Returns the stamped events (also
   * queued for the next save).
   */
  execute(command: Command, context: CommandContext | undefined = currentCommandContext()): readonly E[] {
    const decided = this.decide(command, this.state);
    const before = this.uncommittedEvents.length;
    this.raiseAll(decided, context);
    return this.uncommittedEvents.slice(before) as E[];
  }

  protected override evolveState(event: DomainEvent): State {
    return this.evolve(this.state, event as E);
  }
}
