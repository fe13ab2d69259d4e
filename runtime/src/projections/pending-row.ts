import type { Amount } from './row-operation.js';
import type { Counter, RowTable } from './row-table.js';

/** What happens to a column of a row that existed before the batch. */
export type PatchEntry = { readonly set: unknown } | { readonly add: readonly Amount[] };
export type Patch = ReadonlyMap<string, PatchEntry>;

/**
 * One key's pending writes, for both cases the batch cannot know without reading: the row
 * existed before it (`existed`), or it did not (`row`: the row as it will be, undefined if none).
 * `existed` is a patch of the existing row, `conflict` (an insert must fail on it), or
 * `replaced` (it was deleted: the result is `row` in both cases).
 */
export interface PendingRow {
  readonly key: readonly unknown[];
  existed: Patch | 'conflict' | 'replaced';
  row: Record<string, unknown> | undefined;
}

/** The counter settings of `column` (a plain number when the table declares none). */
export function counterOf(table: RowTable, column: string): Counter {
  return table.counters[column] ?? { type: 'number' };
}
