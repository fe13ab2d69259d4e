import { diffJson } from 'diff';
import type { AggregateClass, DomainEvent, JsonValue } from '@eventsmith/runtime';

/** One line of a state diff: added, removed or unchanged JSON text. */
export interface DiffLine {
  readonly kind: 'added' | 'removed' | 'same';
  readonly text: string;
}

/** The aggregate's state after one version, and what that version changed. */
export interface StateAtVersion {
  /** 0 is the state before the first event. */
  readonly version: number;
  readonly eventType: string | null;
  readonly state: JsonValue;
  /** The pretty-printed JSON of the state, diffed line by line against the previous version's. */
  readonly diff: readonly DiffLine[];
}

/**
 * Replays `events` (one aggregate's, oldest first) into a new instance of `cls` and records the
 * state after each, as the repository would have rebuilt it at that version. Stops at `upTo`.
 *
 * @example
 * ```ts
 * const states = stateHistory(BankAccount, 'acc-1', events);
 * states.at(-1)?.state; // the current state
 * ```
 */
export function stateHistory(
  cls: AggregateClass,
  aggregateId: string,
  events: Iterable<DomainEvent>,
  upTo = Infinity,
): StateAtVersion[] {
  const aggregate = new cls(aggregateId);
  let previous = aggregate.snapshotState();
  const states: StateAtVersion[] = [{ version: 0, eventType: null, state: previous, diff: lines(previous, previous) }];
  for (const event of events) {
    if (event.aggregateVersion > upTo) break;
    aggregate.replay(event);
    const state = aggregate.snapshotState();
    states.push({ version: aggregate.version, eventType: event.eventType, state, diff: lines(previous, state) });
    previous = state;
  }
  return states;
}

function lines(before: JsonValue, after: JsonValue): DiffLine[] {
  return diffJson(before as object, after as object).flatMap((change) =>
    change.value
      .replace(/\n$/, '')
      .split('\n')
      .map((text) => ({ kind: change.added ? 'added' : change.removed ? 'removed' : 'same', text }) as const),
  );
}
