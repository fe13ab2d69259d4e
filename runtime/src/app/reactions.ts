import type { z } from 'zod';
import type { DomainEvent, EventClass } from '../events/domain-event.js';
import type { RetryPolicy } from '../retry/retry-policy.js';
import type { StoredEvent } from '../store/event-store.js';
import type { HandlerContext } from '../subscriptions/subscription-options.js';
import type { AggregateSpecs, AppCommands, DispatchOptions, Reaction, ReactionContext } from './app-definition.js';

/**
 * A declarative reaction: when an event of class `on` is stored, run `command` on the aggregate
 * `aggregate` (its key in the app) with the id and parameters mapped from the event. With
 * `forEach`, one command per item of the list it returns (in order), `id` and `params` getting the item.
 *
 * @example
 * ```ts
 * const recordLoan = dispatchOn<typeof libraryApp.aggregates>()({
 *   name: 'RecordLoan',
 *   on: BookBorrowed,
 *   aggregate: 'member',
 *   command: 'recordLoan',
 *   id: (event) => event.data.memberId,
 *   params: (event) => ({ loanId: event.aggregateId }),
 * });
 * ```
 */
export function dispatchOn<Aggs extends AggregateSpecs>() {
  return <
    E extends EventClass,
    K extends keyof Aggs & string,
    N extends keyof Aggs[K]['commands'] & string,
    I = undefined,
  >(reaction: {
    readonly name: string;
    readonly on: E;
    readonly aggregate: K;
    readonly command: N;
    readonly forEach?: (event: InstanceType<E>) => readonly I[];
    readonly id: (event: InstanceType<E>, item: I) => string;
    readonly params?: (event: InstanceType<E>, item: I) => z.input<Aggs[K]['commands'][N]>;
    readonly retry?: Partial<RetryPolicy>;
  }): Reaction<Aggs> => ({
    name: reaction.name,
    eventTypes: [reaction.on.eventType],
    ...(reaction.retry ? { retry: reaction.retry } : {}),
    async handle(event, context) {
      const typed = event as InstanceType<E>;
      const dispatch = (context.commands[reaction.aggregate] as unknown as Record<string, Dispatch>)[reaction.command]!;
      const items = reaction.forEach ? reaction.forEach(typed) : [undefined as I];
      for (const item of items) {
        await dispatch(reaction.id(typed, item), reaction.params ? reaction.params(typed, item) : {});
      }
    },
  });
}

type Dispatch = (id: string, command: unknown) => Promise<unknown>;

/** Builds the app's dispatchers with every dispatch stamped by `options()`. */
export type CommandsFactory<Aggs extends AggregateSpecs> = (
  options: (given: DispatchOptions | undefined) => DispatchOptions,
) => AppCommands<Aggs>;

/**
 * The subscription handler that runs `reaction`.
 *
 * Idempotency: the n-th command a delivery dispatches gets the idempotency key
 * `<reaction>/<triggering event id>/<n>`, from which the ids of the events it appends are derived
 * (UUID v5). Before running the command the dispatcher asks the store whether the first of those ids
 * exists, and the store's unique event ids refuse a second append of them. The marker is thus the
 * command's own events, written in the same transaction as the append: a redelivery after a
 * crash between the append and the checkpoint, a replay from the beginning or a retry from the
 * dead-letter queue dispatches nothing again. Unlike a scan of the target stream for the
 * causation id, it does not depend on the stream being read in full (snapshots skip older
 * events) and costs one lookup by primary key. A command that raised no event leaves no marker,
 * and runs again on redelivery (it changed nothing the first time).
 */
export function reactionHandler<Aggs extends AggregateSpecs>(
  reaction: Reaction<Aggs>,
  commands: CommandsFactory<Aggs>,
  base: Pick<ReactionContext<Aggs>, 'clock' | 'services'>,
): (stored: StoredEvent, context: HandlerContext) => Promise<void> {
  return async (stored, context) => {
    const event: DomainEvent = stored.event;
    let dispatched = 0;
    const provenance = (given: DispatchOptions | undefined): DispatchOptions => {
      const n = dispatched++;
      const key = `${reaction.name}/${event.eventId}/${given?.idempotencyKey ?? n}`;
      return {
        correlationId: event.correlationId || event.eventId,
        causationId: event.eventId,
        actorId: event.actorId,
        tenantId: event.tenantId,
        ...given,
        idempotencyKey: key,
      };
    };
    await reaction.handle(event, {
      ...base,
      commands: commands(provenance),
      signal: context.signal,
      attempt: context.attempt,
    });
  };
}
