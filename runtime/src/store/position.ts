import { PositionDecodeError, PositionForeignError } from '../errors.js';

/**
 * A place in one store's global order. Opaque to callers: compare positions of the same store,
 * store them with `toString()`, and read them back with `Position.parse`. There is no arithmetic.
 *
 * @example
 * ```ts
 * const token = position.toString();      // "sqlite:app.db@1042"
 * const again = Position.parse(token);
 * again.isAfter(previous);                 // true or false
 * ```
 */
export class Position {
  private constructor(
    readonly storeId: string,
    /** Adapter-owned ordering key. Do not interpret it outside the adapter. */
    readonly value: bigint,
  ) {
    Object.freeze(this);
  }

  static of(storeId: string, value: bigint | number): Position {
    return new Position(storeId, BigInt(value));
  }

  static parse(token: string): Position {
    const at = token.lastIndexOf('@');
    const digits = token.slice(at + 1);
    if (at <= 0 || !/^\d+$/.test(digits)) throw new PositionDecodeError(token);
    return new Position(token.slice(0, at), BigInt(digits));
  }

  /** Negative, zero or positive, like a sort comparator. Throws for another store's position. */
  compare(other: Position): number {
    if (other.storeId !== this.storeId) throw new PositionForeignError(this.storeId, other.storeId);
    return this.value < other.value ? -1 : this.value > other.value ? 1 : 0;
  }

  isAfter(other: Position): boolean {
    return this.compare(other) > 0;
  }

  equals(other: Position): boolean {
    return this.storeId === other.storeId && this.value === other.value;
  }

  toString(): string {
    return `${this.storeId}@${this.value}`;
  }

  toJSON(): string {
    return this.toString();
  }
}
