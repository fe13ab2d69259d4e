// A small aggregate for the runtime's own tests.
import { z } from 'zod';
import { CommandRejectedError } from '../errors.js';
import { defineEvent } from '../events/domain-event.js';
import { EventRegistry } from '../events/event-registry.js';
import { fields } from '../events/field-types.js';
import { AggregateRoot } from '../aggregates/aggregate-root.js';
import { handles } from '../aggregates/handles.js';

export class CounterOpened extends defineEvent({ type: 'CounterOpened', schema: z.object({ label: z.string() }) }) {}
export class CounterIncremented extends defineEvent({
  type: 'CounterIncremented',
  schema: z.object({ by: z.number().int() }),
}) {}
export class CounterReset extends defineEvent({ type: 'CounterReset', schema: z.object({ at: fields.datetime() }) }) {}

export interface CounterState {
  readonly label: string;
  readonly count: number;
  readonly resetAt: Date | null;
}

export class Counter extends AggregateRoot<CounterState> {
  static override readonly aggregateType = 'Counter';
  static override readonly stateSchema = z.object({
    label: z.string(),
    count: z.number().int(),
    resetAt: fields.datetime().nullable(),
  });

  protected initialState(): CounterState {
    return { label: '', count: 0, resetAt: null };
  }
  open(label: string): void {
    if (this.version > 0) throw new CommandRejectedError('Counter already open.');
    this.raise(new CounterOpened({ label }));
  }
  increment(by = 1): void {
    if (by < 1) throw new CommandRejectedError('Increment by at least 1.', { by });
    this.raise(new CounterIncremented({ by }));
  }
  reset(at: Date): void {
    this.raise(new CounterReset({ at }));
  }

  @handles(CounterOpened)
  onOpened(event: CounterOpened): CounterState {
    return { ...this.state, label: event.data.label };
  }
  @handles(CounterIncremented)
  onIncremented(event: CounterIncremented): CounterState {
    return { ...this.state, count: this.state.count + event.data.by };
  }
  @handles(CounterReset)
  onReset(event: CounterReset): CounterState {
    return { ...this.state, count: 0, resetAt: event.data.at };
  }
}

export const counterRegistry = EventRegistry.create({ events: [CounterOpened, CounterIncremented, CounterReset] });
