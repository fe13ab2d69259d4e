import type { DomainEvent } from '../events/domain-event.js';

/**
 * Internal: a store that can read the start of a stream as one array implements this symbol; the
 * repository replays aggregates through it. Reading a short stream through `readStream`'s async
 * iterator costs a promise round per event, as much as a twentieth of an aggregate's whole load
 * and save on SQLite. SQLite answers at once; a server store answers with a promise of the page
 * (one round trip, the statement of `readStream`'s first page).
 */
export const readStreamPage = Symbol('eventsmith.readStreamPage');

/** What a {@link readStreamPage} method returns. */
export interface StreamPage {
  /**
   * The events `readStream(streamId, { from })` yields first, in order: their `event`s alone, as
   * a replay needs them, without the position and stored time each would cost to build.
   */
  readonly events: readonly DomainEvent[];
  /** More events follow the last one: read them with `readStream`, from its version + 1. */
  readonly more: boolean;
}

/**
 * The {@link StreamPage} of a first-page read that asked for `pageSize + 1` rows: the row past a
 * page is not replayed, it only says that more follow.
 */
export function streamPageOf<R>(rows: R[], pageSize: number, event: (row: R) => DomainEvent): StreamPage {
  const more = rows.length > pageSize;
  if (more) rows.length = pageSize;
  const events: DomainEvent[] = [];
  for (const row of rows) events.push(event(row));
  return { events, more };
}

export interface StreamPageReader {
  [readStreamPage](streamId: string, from: number): StreamPage | Promise<StreamPage>;
}
