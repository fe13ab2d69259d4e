import { EventsmithError } from '../errors.js';

/**
 * What {@link projectionHandlerNotWritten} returns: a value that is no `void`, named after the
 * handler, so that the compiler's error names it (`Type
 * 'ProjectionHandlerNotWritten<"CustomerStats.OrderCancelled">' is not assignable to type 'void'`).
 */
export type ProjectionHandlerNotWritten<Handler extends string> = {
  readonly [K in `${Handler} is not written yet`]: never;
};

/** Thrown when a custom projection handler stub runs without having been type-checked (e.g. under tsx or vitest). */
export class ProjectionHandlerNotWrittenError extends EventsmithError {
  constructor(readonly handler: string) {
    super(
      'PROJECTION.HANDLER_NOT_WRITTEN',
      `The projection handler ${handler} is not written yet: write its body in place of the stub.`,
    );
  }
}

/**
 * The body of the stub that `eventsmith generate` writes for a projection's `custom` handler
 * (`<Projection>.<Event>`): the stub does not compile until the body is replaced (the error names
 * the handler), and a stub that runs anyway throws {@link ProjectionHandlerNotWrittenError}.
 * Replace the `return` with the writes through `db`.
 *
 * @example
 * ```ts
 * export const customerStatsHandlers: CustomerStatsCustomHandlers = {
 *   async OrderCancelled(event, { db }) {
 *     return projectionHandlerNotWritten('CustomerStats.OrderCancelled'); // does not compile: write the body
 *   },
 * };
 * ```
 */
export function projectionHandlerNotWritten<const Handler extends string>(
  handler: Handler,
): ProjectionHandlerNotWritten<Handler> {
  throw new ProjectionHandlerNotWrittenError(handler);
}
