import { InvalidArgumentError } from '../errors.js';

const CATEGORY = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/**
 * The stream of one aggregate: `"<aggregateType>-<aggregateId>"`, e.g. `"BankAccount-42"`.
 * Aggregate types cannot contain `-`, so the first `-` always splits the two.
 */
export function streamIdFor(aggregateType: string, aggregateId: string): string {
  if (!CATEGORY.test(aggregateType)) {
    throw new InvalidArgumentError(
      `Aggregate type "${aggregateType}" must start with a letter and use only letters, digits, "_" and ".".`,
    );
  }
  return `${aggregateType}-${aggregateId}`;
}

/** The inverse of {@link streamIdFor}. */
export function parseStreamId(streamId: string): { aggregateType: string; aggregateId: string } {
  const dash = streamId.indexOf('-');
  if (dash <= 0) throw new InvalidArgumentError(`"${streamId}" is not an aggregate stream id ("<type>-<id>").`);
  return { aggregateType: streamId.slice(0, dash), aggregateId: streamId.slice(dash + 1) };
}
