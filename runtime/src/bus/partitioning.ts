/**
 * The partition of a message key (`"<aggregateType>-<aggregateId>"`): FNV-1a over its UTF-16
 * code units, modulo the partition count. Every publisher and consumer of a bus must use the same
 * count, or one aggregate's events land in two partitions and lose their relative order.
 *
 * @example
 * ```ts
 * partitionOf('BankAccount-42', 16); // always the same number in 0..15
 * ```
 */
export function partitionOf(key: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % partitions;
}
