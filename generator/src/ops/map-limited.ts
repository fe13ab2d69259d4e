/**
 * `fn` of each item, at most `limit` calls at a time, the results in the items' order: what
 * `Promise.all(items.map(fn))` gives, without starting every call at once (each call may hold a
 * connection of the store's pool). On the first failure it rejects with it and starts no more
 * calls; those already started run to their end.
 *
 * @example
 * ```ts
 * const lags = await mapLimited(rows, 4, (row) => countAfter(store, row.position, undefined, 10_000));
 * ```
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index]!, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
