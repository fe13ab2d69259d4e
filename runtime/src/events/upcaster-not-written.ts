import { EventsmithError } from '../errors.js';

/**
 * What {@link upcasterNotWritten} returns: an object that is no event payload, named after the
 * upcaster, so that the compiler's error names it (`Type 'UpcasterNotWritten<"PaymentAuthorized
 * v1 → v2">' is missing the following properties…`). Its key is not `never`, so that it is not
 * assignable to an empty payload (`Record<string, never>`) either.
 */
export type UpcasterNotWritten<Upcaster extends string> = {
  readonly [K in `${Upcaster} is not written yet`]: true;
};

/** Thrown when a custom upcaster stub runs without having been type-checked (e.g. under tsx or vitest). */
export class UpcasterNotWrittenError extends EventsmithError {
  constructor(readonly upcaster: string) {
    super(
      'UPCAST.NOT_WRITTEN',
      `The upcaster ${upcaster} is not written yet: build the newer payload from \`data\` in place of the stub.`,
    );
  }
}

/**
 * The body of the stub that `eventsmith generate` writes for an `upcast: custom` step
 * (`<Event> v<n> → v<n+1>`): the stub does not compile until the body is replaced (the error
 * names the upcaster), and a stub that runs anyway throws {@link UpcasterNotWrittenError}.
 * Replace the `return` with the newer payload.
 *
 * @example
 * ```ts
 * export const paymentAuthorizedV1ToV2: PaymentAuthorizedV1ToV2 = (data, record) => {
 *   return upcasterNotWritten('PaymentAuthorized v1 → v2'); // does not compile: write the body
 * };
 * ```
 */
export function upcasterNotWritten<const Upcaster extends string>(upcaster: Upcaster): UpcasterNotWritten<Upcaster> {
  throw new UpcasterNotWrittenError(upcaster);
}
