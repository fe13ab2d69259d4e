/**
 * The outcome of an operation that reports failures as values instead of throwing.
 *
 * @example
 * ```ts
 * const result = loadDomain(files);
 * if (!result.ok) console.error(result.errors.map(formatDomainError).join('\n'));
 * else generate(result.value);
 * ```
 */
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: E };

/** A successful {@link Result}. */
export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return Object.freeze({ ok: true as const, value });
}

/** A failed {@link Result}. */
export function err<E>(errors: E): { readonly ok: false; readonly errors: E } {
  return Object.freeze({ ok: false as const, errors });
}
