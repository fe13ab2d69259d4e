import { InvalidArgumentError } from '../errors.js';

const MAX_ID = 2n ** 63n - 1n;

/**
 * Whether `id` can be a dead-letter entry's id as the queues hand them out: a positive 64-bit
 * integer in decimal, with no sign, space or leading zero. Anything else names no entry, so the
 * queues answer "not found" without asking the database (PostgreSQL would reject it as a bigint).
 */
export function isDeadLetterId(id: unknown): id is string {
  return typeof id === 'string' && /^[1-9][0-9]{0,18}$/.test(id) && BigInt(id) <= MAX_ID;
}

/** `DeadLetterFilter.afterId`, checked: a paging cursor must be an entry's id. */
export function checkAfterId(afterId: string | undefined): string | undefined {
  if (afterId !== undefined && !isDeadLetterId(afterId))
    throw new InvalidArgumentError(
      `afterId must be the id of a dead-letter entry (a positive whole number), got ${JSON.stringify(String(afterId).slice(0, 60))}. Page with the id of the last entry listed.`,
    );
  return afterId;
}
