import type { Kysely, Migration } from 'kysely';
import type { z } from 'zod';
import type { AggregateClass, AggregateRoot } from '../aggregates/aggregate-root.js';
import type { DomainEvent } from '../events/domain-event.js';
import type { Projection } from '../projections/projection.js';
import type { RetryPolicy } from '../retry/retry-policy.js';
import type { SnapshotPolicy } from '../snapshots/snapshot-store.js';
import type { EventStore } from '../store/event-store.js';
import type { Position } from '../store/position.js';

/** Command name → the zod schema of its parameters (the generated `<aggregate><Command>CommandSchema`). */
export type CommandSchemas = { readonly [command: string]: z.ZodType };

/** What an app needs to know about one aggregate: its type name and its commands' schemas. */
export interface AggregateSpec<C extends CommandSchemas = CommandSchemas> {
  /** The aggregate type, e.g. `BankAccount`. */
  readonly aggregateType: string;
  readonly commands: C;
  /** When to snapshot (the YAML's `snapshot.every`); used when the app has a snapshot store. */
  readonly snapshotPolicy?: SnapshotPolicy | undefined;
}

/** The aggregates of an app, by the property they get on it (`bankAccount` → `app.bankAccount`). */
export type AggregateSpecs = { readonly [key: string]: AggregateSpec };

/** What projection factories and reactions may use. */
export interface AppDependencies {
  /** The database of the projection tables (`AppOptions.database`, or the SQL store's own). */
  readonly db: Kysely<any>;
  /** The app's store (the tenant's view when the app has a `tenant`). */
  readonly store: EventStore;
  readonly clock: () => Date;
  /** `AppOptions.services`, passed through untouched. */
  readonly services: Readonly<Record<string, unknown>>;
}

/**
 * A domain's app, as data: the generator emits it from the YAML (`defineApp({...})`) and
 * `createApp` runs it.
 *
 * @example
 * ```ts
 * export const bankApp = defineApp({
 *   domain: 'Bank',
 *   aggregates: { bankAccount: { aggregateType: 'BankAccount', commands: { open: bankAccountOpenCommandSchema } } },
 *   projectionMigrations,
 *   projections: () => createBankProjections(),
 * });
 * ```
 */
export interface AppDefinition<Aggs extends AggregateSpecs = AggregateSpecs> {
  /** The YAML's `domain:` name; it names the table that records the projection migrations. */
  readonly domain: string;
  readonly aggregates: Aggs;
  /** The generated `projectionMigrations`. */
  readonly projectionMigrations?: Readonly<Record<string, Migration>> | undefined;
  /** Builds every projection of the domain, handing custom handler factories their dependencies. */
  readonly projections?: ((deps: AppDependencies) => readonly Projection<any>[]) | undefined;
  readonly reactions?: readonly Reaction<Aggs>[] | undefined;
}

/** Keeps the literal types of a definition for `createApp`. Returns it unchanged. */
export function defineApp<const Aggs extends AggregateSpecs>(definition: AppDefinition<Aggs>): AppDefinition<Aggs> {
  return definition;
}

/** A class whose instances have one method per command of `S`, each taking the parsed parameters. */
export type AggregateClassFor<S extends AggregateSpec> = AggregateClass<
  AggregateRoot<unknown> & { [N in keyof S['commands']]: (command: z.output<S['commands'][N]>) => unknown }
>;

/** Provenance and idempotency of one dispatch. */
export interface DispatchOptions {
  readonly correlationId?: string | undefined;
  readonly causationId?: string | undefined;
  readonly actorId?: string | undefined;
  /**
   * The tenant to run in, for an app that is not bound to one (`AppOptions.tenant`). An app bound to
   * a tenant refuses any other with `TenantMismatchError`.
   */
  readonly tenantId?: string | undefined;
  /**
   * A key that makes the dispatch idempotent: the events it appends get ids derived from it, so
   * dispatching the same key again appends nothing and returns `duplicate: true`.
   */
  readonly idempotencyKey?: string | undefined;
}

/** What a dispatched command did. */
export interface CommandResult {
  readonly aggregateId: string;
  /** The stream's version after the command. */
  readonly version: number;
  /** The events it appended, oldest first (none for a command that raised nothing, or a duplicate). */
  readonly events: readonly DomainEvent[];
  /** The position of the last appended event, for `waitForProjections`; null when nothing was appended. */
  readonly position: Position | null;
  /** True when the idempotency key had been dispatched before: nothing was appended this time. */
  readonly duplicate: boolean;
}

/** One dispatcher per command. The parameters may be left out when the command has none. */
export type CommandDispatchers<C extends CommandSchemas> = {
  readonly [N in keyof C]: {} extends z.input<C[N]>
    ? (id: string, command?: z.input<C[N]>, options?: DispatchOptions) => Promise<CommandResult>
    : (id: string, command: z.input<C[N]>, options?: DispatchOptions) => Promise<CommandResult>;
};

/** The dispatchers of every aggregate of an app, by aggregate key. */
export type AppCommands<Aggs extends AggregateSpecs> = {
  readonly [K in keyof Aggs]: CommandDispatchers<Aggs[K]['commands']>;
};

/** What a reaction's handler gets besides the event. */
export interface ReactionContext<Aggs extends AggregateSpecs = AggregateSpecs> {
  /**
   * The app's dispatchers, bound to the triggering event: what they dispatch carries its
   * correlation, its id as causation, its tenant and actor, and is idempotent per triggering event.
   * Dispatch in a fixed order: the n-th dispatch of a delivery is what a redelivery's n-th matches.
   */
  readonly commands: AppCommands<Aggs>;
  /** Aborted when the handler times out or the app stops. */
  readonly signal: AbortSignal;
  /** This delivery's attempt, from 1. */
  readonly attempt: number;
  readonly clock: () => Date;
  readonly services: Readonly<Record<string, unknown>>;
}

/**
 * Work run for every event of the given types: usually a command on another aggregate. It runs as
 * a subscription of the app (its name is the subscription's), with retries and then the
 * dead-letter queue when it keeps failing.
 */
export interface Reaction<Aggs extends AggregateSpecs = AggregateSpecs> {
  /** Unique in the app; also its subscription and checkpoint name. */
  readonly name: string;
  /** The (current) names of the event types that trigger it. */
  readonly eventTypes: readonly string[];
  readonly aggregateTypes?: readonly string[] | undefined;
  /** Retries before the event is dead-lettered. Default: the app's subscription retry policy. */
  readonly retry?: Partial<RetryPolicy> | undefined;
  handle(event: DomainEvent, context: ReactionContext<Aggs>): Promise<void> | void;
}
