/**
 * Drains an async iterable (such as `readStream` or `readAll`) into an array.
 *
 * @example
 * ```ts
 * const events = await collect(store.readStream('BankAccount-1'));
 * ```
 */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
