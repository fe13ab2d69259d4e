import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventEnvelope } from '../events/domain-event.js';

/**
 * Provenance stamped onto the events a command raises. A value the event sets itself wins;
 * a missing `tenantId` falls back to the ambient tenant (`withTenant`).
 */
export interface CommandContext {
  readonly causationId?: string | undefined;
  readonly correlationId?: string | undefined;
  readonly actorId?: string | undefined;
  readonly tenantId?: string | undefined;
  /**
   * The id of the `index`-th event (from 0) that the aggregate raises while uncommitted events
   * pile up. Deterministic ids make a repeated command idempotent: the store refuses an event id
   * it already holds (the app's dispatcher uses it for idempotency keys and reactions).
   */
  readonly eventId?: ((index: number) => string) | undefined;
}

/** What the runtime needs to know about a command to stamp provenance. */
export interface CommandEnvelope {
  readonly commandId: string;
  readonly correlationId?: string | undefined;
  readonly actorId?: string | undefined;
  readonly tenantId?: string | undefined;
}

/** Provenance for events raised by a command: caused by the command, in its correlation. */
export function fromCommand(command: CommandEnvelope): CommandContext {
  return {
    causationId: command.commandId,
    correlationId: command.correlationId ?? command.commandId,
    actorId: command.actorId,
    tenantId: command.tenantId,
  };
}

/** Provenance for events raised in reaction to another event: same correlation and tenant. */
export function causedBy(event: EventEnvelope): CommandContext {
  return {
    causationId: event.eventId,
    correlationId: event.correlationId,
    actorId: event.actorId,
    tenantId: event.tenantId,
  };
}

const storage = new AsyncLocalStorage<CommandContext>();

/**
 * Runs `fn` with `context` as the ambient command context: events that aggregates raise inside
 * it are stamped with its provenance.
 *
 * @example
 * ```ts
 * await runInCommandContext(fromCommand(command), () => repository.update(id, (a) => a.deposit('10')));
 * ```
 */
export function runInCommandContext<T>(context: CommandContext, fn: () => T): T {
  return storage.run(context, fn);
}

export function currentCommandContext(): CommandContext | undefined {
  return storage.getStore();
}
