import { EventsmithError } from '../errors.js';

/** A subscription with this name is already registered; names are checkpoint keys and must be unique. */
export class DuplicateSubscriptionError extends EventsmithError {
  constructor(readonly subscription: string) {
    super(
      'SUBSCRIPTION.DUPLICATE_NAME',
      `A subscription named "${subscription}" is already registered. The name is its checkpoint key, so it must be unique; ` +
        `pick another name or unsubscribe the existing one first.`,
    );
  }
}

/** No subscription with this name is registered. */
export class SubscriptionNotFoundError extends EventsmithError {
  constructor(
    readonly subscription: string,
    readonly known: readonly string[],
  ) {
    super(
      'SUBSCRIPTION.NOT_FOUND',
      `No subscription named "${subscription}". Registered: ${known.length ? known.join(', ') : '(none)'}.`,
    );
  }
}

/** Subscription options are invalid or contradict each other. */
export class SubscriptionConfigError extends EventsmithError {
  constructor(
    readonly subscription: string | undefined,
    readonly problem: string,
  ) {
    super('SUBSCRIPTION.CONFIG', `${subscription ? `Subscription "${subscription}": ` : ''}${problem}`);
  }
}

/** A handler did not settle within its timeout. */
export class HandlerTimeoutError extends EventsmithError {
  constructor(
    readonly subscription: string,
    readonly timeoutMs: number,
    readonly eventIds: readonly string[],
  ) {
    super(
      'SUBSCRIPTION.HANDLER_TIMEOUT',
      `Handler of subscription "${subscription}" did not finish within ${timeoutMs} ms (events ${eventIds.join(', ')}). ` +
        `Raise handlerTimeoutMs if the work is legitimately slow, or make the handler honour context.signal.`,
    );
  }
}

/**
 * A checkpoint was not where its writer expected it: another process advanced or reset it.
 * Under the subscription manager this rolls back the batch, so nothing is applied twice.
 */
export class CheckpointConflictError extends EventsmithError {
  constructor(
    readonly subscription: string,
    readonly expected: string | null,
    readonly actual: string | null,
  ) {
    super(
      'CHECKPOINT.CONFLICT',
      `Checkpoint "${subscription}" is at ${actual ?? '(none)'}, expected ${expected ?? '(none)'}. ` +
        `Another process is running this subscription; give every instance the same lock so only one runs it at a time.`,
    );
  }
}

/** No dead-letter entry has this id. */
export class DeadLetterEntryNotFoundError extends EventsmithError {
  constructor(readonly id: string) {
    super('DLQ.NOT_FOUND', `Dead-letter entry ${id} does not exist (it may have been purged).`);
  }
}

/** A lease of a subscription, as {@link SubscriptionInUseError} reports it. */
export interface HeldLease {
  /** The tenant whose subscription holds it; null for the unscoped store's. */
  readonly tenantId: string | null;
  readonly owner: string;
  readonly expiresAt: Date;
}

/**
 * `forgetSubscription` was refused: a process holds the subscription's lease, so it still runs the
 * subscription somewhere, and would write its checkpoint again.
 */
export class SubscriptionInUseError extends EventsmithError {
  constructor(
    readonly subscription: string,
    readonly leases: readonly HeldLease[],
  ) {
    super(
      'SUBSCRIPTION.IN_USE',
      `Cannot forget subscription "${subscription}": a process runs it (${leases
        .map(
          (lease) =>
            `${lease.owner} holds ${lease.tenantId === null ? 'its lease' : `tenant ${lease.tenantId}'s lease`} until ${lease.expiresAt.toISOString()}`,
        )
        .join('; ')}). Stop the processes that run it (an app of a version that still has it), then try again; ` +
        `the lease of a process that died runs out by itself.`,
    );
  }
}
