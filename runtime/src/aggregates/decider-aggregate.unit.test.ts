import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CommandRejectedError, UnhandledEventError } from '../errors.js';
import { defineEvent } from '../events/domain-event.js';
import { EventRegistry } from '../events/event-registry.js';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { givenAggregate } from '../testing/given-aggregate.js';
import { AggregateRepository } from './aggregate-repository.js';
import { fromCommand, runInCommandContext } from './command-context.js';
import { DeciderAggregate } from './decider-aggregate.js';

class Deposited extends defineEvent({
  type: 'WalletDeposited',
  schema: z.object({ amount: z.number().int().positive() }),
}) {}
class Withdrawn extends defineEvent({
  type: 'WalletWithdrawn',
  schema: z.object({ amount: z.number().int().positive() }),
}) {}
class Frozen extends defineEvent({ type: 'WalletFrozen', schema: z.object({}) }) {}

type Command =
  | { kind: 'deposit'; amount: number }
  | { kind: 'withdraw'; amount: number }
  | { kind: 'payday'; amounts: number[] }
  | { kind: 'freeze' };
interface State {
  readonly balance: number;
  readonly frozen: boolean;
}
type WalletEvent = Deposited | Withdrawn | Frozen;

class Wallet extends DeciderAggregate<State, Command, WalletEvent> {
  static override readonly aggregateType = 'Wallet';
  decided = 0;
  protected initialState(): State {
    return { balance: 0, frozen: false };
  }
  protected decide(command: Command, state: State): WalletEvent[] {
    this.decided++;
    if (state.frozen) throw new CommandRejectedError('Wallet is frozen.');
    switch (command.kind) {
      case 'deposit':
        return [new Deposited({ amount: command.amount })];
      case 'withdraw':
        if (command.amount > state.balance)
          throw new CommandRejectedError('Insufficient funds.', { balance: state.balance });
        return [new Withdrawn({ amount: command.amount })];
      case 'payday':
        return command.amounts.map((amount) => new Deposited({ amount }));
      case 'freeze':
        return [new Frozen({})];
    }
  }
  protected evolve(state: State, event: WalletEvent): State {
    if (event instanceof Deposited) {
      if (state.balance + event.data.amount > 1000) throw new RangeError('balance cap');
      return { ...state, balance: state.balance + event.data.amount };
    }
    if (event instanceof Withdrawn) return { ...state, balance: state.balance - event.data.amount };
    if (event instanceof Frozen) return { ...state, frozen: true };
    throw new UnhandledEventError('Wallet', (event as { eventType: string }).eventType);
  }
}

describe('DeciderAggregate', () => {
  it('decides, stamps and applies events, returning them', () => {
    const wallet = new Wallet('w1');
    const events = runInCommandContext(fromCommand({ commandId: 'cmd-1', actorId: 'ann' }), () =>
      wallet.execute({ kind: 'payday', amounts: [10, 20] }),
    );
    expect(events.map((e) => [e.eventType, e.aggregateVersion, e.causationId, e.actorId])).toEqual([
      ['WalletDeposited', 1, 'cmd-1', 'ann'],
      ['WalletDeposited', 2, 'cmd-1', 'ann'],
    ]);
    expect(wallet.state.balance).toBe(30);
    expect(wallet.version).toBe(2);
    expect(wallet.uncommittedEvents).toEqual(events);
  });

  it('leaves the aggregate untouched when decide rejects the command', () => {
    givenAggregate(Wallet)
      .given(new Deposited({ amount: 5 }))
      .when((w) => w.execute({ kind: 'withdraw', amount: 6 }))
      .thenThrows(CommandRejectedError, (e) => expect(e.details).toEqual({ balance: 5 }));
  });

  it('applies all of a decision or none of it when evolve throws part-way', () => {
    const wallet = new Wallet('w1');
    wallet.execute({ kind: 'deposit', amount: 990 });
    expect(() => wallet.execute({ kind: 'payday', amounts: [5, 10] })).toThrow(RangeError);
    expect(wallet.state.balance).toBe(990);
    expect(wallet.version).toBe(1);
    expect(wallet.uncommittedEvents).toHaveLength(1);
  });

  it('decides on the state at the time of the command', () => {
    givenAggregate(Wallet)
      .given(new Deposited({ amount: 5 }), new Frozen({}))
      .when((w) => w.execute({ kind: 'deposit', amount: 1 }))
      .thenThrows(CommandRejectedError);
  });

  it('loads and saves through the repository, replaying through evolve', async () => {
    const store = new InMemoryEventStore({
      registry: EventRegistry.create({ events: [Deposited, Withdrawn, Frozen] }),
    });
    const wallets = new AggregateRepository(store, Wallet);
    await wallets.update('w1', (w) => void w.execute({ kind: 'payday', amounts: [10, 20, 30] }), { create: true });
    const updated = await wallets.update('w1', (w) => void w.execute({ kind: 'withdraw', amount: 15 }));
    expect(updated.state.balance).toBe(45);
    const loaded = await wallets.load('w1');
    expect(loaded.state).toEqual({ balance: 45, frozen: false });
    expect(loaded.version).toBe(4);
    expect(loaded.decided).toBe(0);
  });
});
