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
 * `dependencies`. Throws `AppConfigError` for a factory when there are no dependencies to give it.
 */
export function customHandlers<Handlers extends object>(
  projection: string,
  entry: HandlersOrFactory<Handlers>,
  dependencies: AppDependencies | undefined,
): Handlers {
  if (typeof entry !== 'function') return entry;
  if (!dependencies)
    throw new AppConfigError(
      `The custom handlers of ${projection} are a factory, which needs the app's dependencies: pass { db, store, clock, services } as the second argument of the projections factory, or use create<Domain>App, which does.`,
    );
  return entry(dependencies);
}
