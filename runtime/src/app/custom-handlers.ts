import type { AppDependencies } from './app-definition.js';
import { AppConfigError } from './app-errors.js';

/**
 * Hand-written projection handlers as an object, or a factory that receives the app's
 * dependencies (database, store, clock, services) and returns them.
 *
 * @example
 * ```ts
 * export function customerStatsHandlers({ services }: AppDependencies): CustomerStatsCustomHandlers {
 *   const crm = services.crm as CrmClient;
 *   return {
 *     async OrderCancelled(event, { db }) {
 *       await crm.noteCancellation(event.aggregateId);
 *     },
 *   };
 * }
 * ```
 */
export type HandlersOrFactory<Handlers extends object> = Handlers | ((dependencies: AppDependencies) => Handlers);

/**
 * The handlers of one projection: `entry` itself, or what its factory returns for
 * `dependencies`. Throws `AppConfigError` when `entry` is missing (the app was not given the
 * projection's handlers), and for a factory when there are no dependencies to give it.
 */
export function customHandlers<Handlers extends object>(
  projection: string,
  entry: HandlersOrFactory<Handlers> | undefined,
  dependencies: AppDependencies | undefined,
): Handlers {
  if (entry === null || (typeof entry !== 'object' && typeof entry !== 'function'))
    throw new AppConfigError(
      `The custom handlers of ${projection} are missing (got ${entry === null ? 'null' : typeof entry}): the domain's YAML gives ${projection} \`custom\` handlers, which are written by hand. ` +
        `Pass them in the projections option: create<Domain>App({ store, aggregates, projections: { ${projection}: … } }), ` +
        `with the handlers object (or a factory of it) from the file the generator wrote for ${projection}.`,
    );
  if (typeof entry !== 'function') return entry;
  if (!dependencies)
    throw new AppConfigError(
      `The custom handlers of ${projection} are a factory, which needs the app's dependencies: pass { db, store, clock, services } as the second argument of the projections factory, or use create<Domain>App, which does.`,
    );
  return entry(dependencies);
}

/**
 * A hand-written reaction (`run: custom` in the YAML) given to the app, checked when the app is
 * created: throws `AppConfigError` when `handler` is not a function (the app was not given it),
 * rather than a `TypeError` on the first event, retried and then dead-lettered.
 */
export function customReaction<Handler extends (...args: never[]) => unknown>(
  reaction: string,
  handler: Handler | undefined,
): Handler {
  if (typeof handler !== 'function')
    throw new AppConfigError(
      `The custom reaction ${reaction} is missing (got ${handler === null ? 'null' : typeof handler}): the domain's YAML gives ${reaction} \`run: custom\`, which is written by hand. ` +
        `Pass it in the reactions option: create<Domain>App({ store, aggregates, reactions: { ${reaction}: … } }), ` +
        `with the function from the file the generator wrote for ${reaction}.`,
    );
  return handler;
}
