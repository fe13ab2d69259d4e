import { v5 as uuidv5 } from 'uuid';
import { AggregateRepository, type AggregateRepositoryOptions } from '../aggregates/aggregate-repository.js';
import type { AggregateClass, AggregateRoot } from '../aggregates/aggregate-root.js';
import { runInCommandContext, type CommandContext } from '../aggregates/command-context.js';
import { parseCommand } from '../aggregates/parse-command.js';
import { ConcurrencyError, DuplicateEventError, TenantMismatchError } from '../errors.js';
import { backoffDelay, retryPolicy, sleep, type RetryPolicy } from '../retry/index.js';
import type { EventStore } from '../store/event-store.js';
import { AppConfigError } from './app-errors.js';
import type { AggregateSpec, CommandResult, DispatchOptions } from './app-definition.js';

/** Conflicts are short-lived: retry soon, a few times. */
export const DEFAULT_COMMAND_RETRY: Partial<RetryPolicy> = {
  maxAttempts: 5,
  initialDelayMs: 10,
  maxDelayMs: 1000,
  jitter: 0.5,
};

/** Namespace of the event ids derived from idempotency keys (UUID v5). */
const IDEMPOTENT_EVENT_NAMESPACE = '6f1d3c7e-5b0a-4c59-9a43-0e2b8f6a1d17';

/** The id of the `index`-th event appended by the dispatch with idempotency key `key`. */
export function idempotentEventId(key: string, index: number): string {
  return uuidv5(`${key}#${index}`, IDEMPOTENT_EVENT_NAMESPACE);
}

/**
 * Runs the commands of one aggregate type: parse, load, run, save, retry on conflict. Internal
 * to the app; `createApp` exposes it as `app.<aggregate>.<command>(id, params)`.
 */
export class CommandDispatcher {
  readonly #spec: AggregateSpec;
  readonly #cls: AggregateClass;
  readonly #store: EventStore;
  readonly #repositoryOptions: AggregateRepositoryOptions;
  readonly #policy: RetryPolicy;
  readonly #repositories = new Map<string, AggregateRepository<AggregateRoot<unknown>>>();

  constructor(
    spec: AggregateSpec,
    cls: AggregateClass,
    store: EventStore,
    options: { repository: AggregateRepositoryOptions; retry?: Partial<RetryPolicy> | undefined },
  ) {
    if (cls.aggregateType !== spec.aggregateType) {
      throw new AppConfigError(
        `The class given for ${spec.aggregateType} is ${cls.name}, whose aggregateType is "${cls.aggregateType}". Pass the class that extends the generated ${spec.aggregateType}Base.`,
      );
    }
    for (const command of Object.keys(spec.commands)) {
      if (typeof (cls.prototype as unknown as Record<string, unknown>)[command] !== 'function') {
        throw new AppConfigError(
          `${cls.name} has no method "${command}" for the ${spec.aggregateType}.${command} command. Add it (eventsmith generate writes a stub).`,
        );
      }
    }
    this.#spec = spec;
    this.#cls = cls;
    this.#store = store;
    this.#repositoryOptions = options.repository;
    this.#policy = retryPolicy({ ...DEFAULT_COMMAND_RETRY, ...options.retry });
  }

  /**
   * The repository of this aggregate in the app's store, or in `tenantId`'s view of it. An app bound
   * to a tenant refuses another tenant with `TenantMismatchError`.
   */
  repository(tenantId?: string): AggregateRepository<AggregateRoot<unknown>> {
    const key = tenantId ?? '';
    let repository = this.#repositories.get(key);
    if (!repository) {
      repository = new AggregateRepository(this.#storeOf({ tenantId }), this.#cls, this.#repositoryOptions);
      this.#repositories.set(key, repository);
    }
    return repository;
  }

  /**
   * Validates `input` with the command's schema (defaults applied), loads the aggregate (a new one
   * when its stream is empty), runs the command method and saves what it raised. On a
   * `ConcurrencyError` it reloads and runs the command again, up to the retry policy's attempts.
   */
  async dispatch(command: string, id: string, input: unknown, options: DispatchOptions = {}): Promise<CommandResult> {
    const schema = this.#spec.commands[command];
    if (schema === undefined) {
      throw new AppConfigError(`${this.#spec.aggregateType} has no command "${command}".`);
    }
    const parsed = parseCommand(schema, input, { aggregate: this.#spec.aggregateType, command });
    const repository = this.repository(options.tenantId);
    const key = options.idempotencyKey;
    const eventId = key === undefined ? undefined : (index: number) => idempotentEventId(key, index);
    // The first event's id marks the key as done; the store's unique event ids back it up at append.
    if (eventId && (await this.#storeOf(options).eventExists(eventId(0)))) return this.#duplicate(options, id);
    const context: CommandContext = {
      correlationId: options.correlationId,
      causationId: options.causationId,
      actorId: options.actorId,
      tenantId: options.tenantId,
      eventId,
    };
    for (let attempt = 1; ; attempt++) {
      const aggregate = await repository.loadOrCreate(id);
      await runInCommandContext(context, () =>
        (aggregate as unknown as Record<string, (command: unknown) => unknown>)[command]!(parsed),
      );
      const events = aggregate.uncommittedEvents;
      try {
        const result = await repository.save(aggregate);
        return {
          aggregateId: id,
          version: aggregate.version,
          events,
          position: result?.position ?? null,
          duplicate: false,
        };
      } catch (error) {
        if (error instanceof DuplicateEventError && eventId && events.some((e) => e.eventId === error.eventId)) {
          return this.#duplicate(options, id); // appended by an earlier dispatch with this key
        }
        if (!(error instanceof ConcurrencyError) || attempt >= this.#policy.maxAttempts) throw error;
        await sleep(backoffDelay(this.#policy, attempt));
      }
    }
  }

  /** The app's store, or `tenantId`'s view of it when the app is bound to no tenant. */
  #storeOf(options: Pick<DispatchOptions, 'tenantId'>): EventStore {
    const tenantId = options.tenantId;
    if (tenantId === undefined || tenantId === this.#store.tenantId) return this.#store;
    if (this.#store.tenantId !== undefined) {
      // A view's forTenant would switch tenant: an app bound to one must never read or write another's.
      throw new TenantMismatchError(
        this.#store.tenantId,
        tenantId,
        [],
        `This app is bound to tenant "${this.#store.tenantId}" and cannot run ${this.#spec.aggregateType} in tenant ` +
          `"${tenantId}". Leave tenantId out, or create an app without a tenant (or one per tenant) to serve several.`,
      );
    }
    return this.#store.forTenant(tenantId);
  }

  async #duplicate(options: DispatchOptions, id: string): Promise<CommandResult> {
    const version = await this.#storeOf(options).getStreamVersion(this.repository(options.tenantId).streamId(id));
    return { aggregateId: id, version, events: [], position: null, duplicate: true };
  }
}
