/** A page of the feed from {@link readAheadPages}. */
export interface ReadAheadPage<R> {
  readonly rows: R[];
  /** The next page is being read while this one is consumed (the feed goes on past this page). */
  readonly ahead: boolean;
}

/**
 * Pages through the feed, at most `limit` rows in pages of at most `pageSize`, starting after
 * `start`: `read(after, n)` returns the rows after key `after`, at most `n` and one more if there
 * is one (so the last page is recognised without an extra, empty query). The next page is read
 * while this one is consumed, so the server's part of it and the round trip no longer add to the
 * read's time. It starts after this page's last key (`keyOf`), as reading it later would, and no
 * row can appear before a key already read (never-skip), so reading it earlier cannot miss one.
 * An error reading it is thrown where the page would have been read; abandoned, it is dropped
 * (one page read for nothing). `check` runs before the next page is handed out: it refuses it
 * (`EventStoreClosedError`) once `close()` has begun, as that page would have been before it was
 * read ahead.
 */
export async function* readAheadPages<R, K>(options: {
  readonly start: K;
  readonly limit: number;
  readonly pageSize: number;
  readonly read: (after: K, n: number) => Promise<R[]>;
  readonly keyOf: (row: R) => K;
  readonly check: () => void;
}): AsyncGenerator<ReadAheadPage<R>> {
  const { pageSize, read, keyOf, check } = options;
  let limit = options.limit;
  if (limit <= 0) return;
  let n = Math.min(pageSize, limit);
  let next = read(options.start, n);
  for (;;) {
    const rows = await next;
    const ahead = rows.length > n && n < limit;
    if (rows.length > n) rows.length = n;
    if (ahead) {
      limit -= rows.length;
      n = Math.min(pageSize, limit);
      next = read(keyOf(rows[rows.length - 1]!), n);
      next.catch(() => undefined);
    }
    yield { rows, ahead };
    if (!ahead) return;
    check();
  }
}
