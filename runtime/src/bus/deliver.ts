import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import { describeThrown } from '../describe-thrown.js';
import type { DomainEvent } from '../events/domain-event.js';
import type { EventRegistry } from '../events/event-registry.js';
import { backoffDelay, type Backoff } from '../retry/backoff.js';
import { instruments, MetricAttributes } from '../telemetry/metrics.js';
import type { AggregateVersionKey, AggregateVersionStore } from './aggregate-version-store.js';
import { BusConfigurationError } from './bus-errors.js';
import { BusHeader, decodeBusMessage } from './bus-message.js';
import type { BusHandler, DeadLetterReason, SubscribeOptions } from './event-bus.js';

/** {@link SubscribeOptions} with defaults applied and checked. */
export interface ResolvedSubscribeOptions {
  readonly group: string;
  readonly eventTypes: ReadonlySet<string> | undefined;
  readonly aggregateTypes: ReadonlySet<string> | undefined;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly versionGuard: AggregateVersionStore | undefined;
}

const GROUP = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * Refuses a consumer group name that cannot be part of broker resource names, with a
 * {@link BusConfigurationError}: in `subscribe`, and in `deadLetters`/`replayDeadLetter` before
 * anything is declared or read.
 */
export function checkGroup(group: string): void {
  if (typeof group !== 'string' || !GROUP.test(group)) {
    throw new BusConfigurationError(
      'group',
      `"${String(group)}" must be 1-100 characters of [A-Za-z0-9_.-]; it becomes part of broker resource names.`,
    );
  }
}

/** Applies defaults and rejects bad values with a {@link BusConfigurationError}. */
export function resolveSubscribeOptions(options: SubscribeOptions): ResolvedSubscribeOptions {
  checkGroup(options.group);
  const maxAttempts = options.maxAttempts ?? 5;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new BusConfigurationError('maxAttempts', `must be an integer ≥ 1, got ${String(options.maxAttempts)}.`);
  }
  const retryDelayMs = options.retryDelayMs ?? 200;
  if (!Number.isFinite(retryDelayMs) || retryDelayMs < 0) {
    throw new BusConfigurationError(
      'retryDelayMs',
      `must be a number of milliseconds ≥ 0, got ${String(options.retryDelayMs)}.`,
    );
  }
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 60_000;
  return {
    group: options.group,
    eventTypes: options.eventTypes && new Set(options.eventTypes),
    aggregateTypes: options.aggregateTypes && new Set(options.aggregateTypes),
    maxAttempts,
    retryDelayMs,
    maxRetryDelayMs,
    versionGuard: options.versionGuard,
  };
}

/**
 * The bus's redelivery backoff for a group: `retryDelayMs` doubled per attempt, capped at
 * `maxRetryDelayMs`, ±20% jitter (`jitter: 0` gives fixed delays, for brokers that keep one
 * delay queue per delay).
 */
export function busBackoff(
  options: Pick<ResolvedSubscribeOptions, 'retryDelayMs' | 'maxRetryDelayMs'>,
  jitter = 0.2,
): Backoff {
  return { initialDelayMs: options.retryDelayMs, maxDelayMs: options.maxRetryDelayMs, multiplier: 2, jitter };
}

/**
 * The wait before the next attempt after attempt `attempt` (from 1) failed: {@link busBackoff}'s
 * delay, never above `maxRetryDelayMs`.
 */
export function retryDelay(
  attempt: number,
  options: Pick<ResolvedSubscribeOptions, 'retryDelayMs' | 'maxRetryDelayMs'>,
): number {
  return backoffDelay(busBackoff(options), attempt);
}

/** What the adapter must do with a message after {@link deliver}. */
export type DeliveryOutcome =
  /** Handled, or not for this group (filters): acknowledge it. */
  | { readonly kind: 'ack'; readonly handled: boolean }
  /**
   * The handler failed and attempts remain, or the message is of a newer schema version than the
   * registry knows: redeliver after `delayMs` without blocking other aggregates.
   */
  | { readonly kind: 'retry'; readonly delayMs: number; readonly error: string }
  /** Move the message to the group's dead-letter destination, then acknowledge it. */
  | {
      readonly kind: 'dead-letter';
      readonly reason: DeadLetterReason;
      readonly error: string;
      readonly eventType?: string | undefined;
    };

export interface DeliverInput {
  readonly registry: EventRegistry;
  readonly handler: BusHandler;
  readonly options: ResolvedSubscribeOptions;
  readonly body: string | Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  /** Delivery number of this message to this group, from 1. */
  readonly attempt: number;
  /** The messaging system (`redis`, `nats`, …), for the bus metrics' `messaging.system` attribute. */
  readonly system?: string;
}

/**
 * The shared consume path of every adapter: filter on headers, decode and upcast with the
 * registry, run the handler inside a consumer span whose parent is the publisher's trace
 * context, and say what to do next. Never throws.
 *
 * @example
 * ```ts
 * const outcome = await deliver({ registry, handler, options, body, headers, attempt: 1 });
 * if (outcome.kind === 'ack') await ack(message);
 * ```
 */
export async function deliver(input: DeliverInput): Promise<DeliveryOutcome> {
  return deliverNow(input);
}

/**
 * {@link deliver} for hot paths: when the handler returns synchronously (or the message is
 * filtered out or does not decode), the outcome comes back without a promise, saving the
 * adapter a few microtask hops per message. Otherwise it returns a promise. Never throws.
 *
 * @example
 * ```ts
 * const result = deliverNow(input);
 * const outcome = result instanceof Promise ? await result : result;
 * ```
 */
export function deliverNow(input: DeliverInput): DeliveryOutcome | Promise<DeliveryOutcome> {
  return deliverOnce(input);
}

/**
 * Counts the delivery in the bus metrics (`eventsmith.bus.consumed`, `…redelivered`,
 * `…dead_lettered`, by consumer group and, when the adapter says, messaging system). Every
 * outcome of {@link deliverOnce} is counted once, in the continuation that makes it (no extra
 * `.then` per message).
 */
function counted(input: DeliverInput, outcome: DeliveryOutcome): DeliveryOutcome {
  if (outcome === SKIPPED) return outcome;
  const metrics = instruments();
  const attributes: Attributes = { [MetricAttributes.group]: input.options.group };
  if (input.system !== undefined) attributes[MetricAttributes.system] = input.system;
  if (input.attempt > 1) metrics.busRedelivered.add(1, attributes);
  if (outcome.kind === 'ack') metrics.busConsumed.add(1, attributes);
  else if (outcome.kind === 'dead-letter') metrics.busDeadLettered.add(1, attributes);
  return outcome;
}

function deliverOnce(input: DeliverInput): DeliveryOutcome | Promise<DeliveryOutcome> {
  const { registry, options, headers } = input;
  if (!passesFilters(registry, options, headers[BusHeader.eventType], headers[BusHeader.aggregateType])) return SKIPPED;
  const decoded = decodeBusMessage(registry, input.body);
  if (!decoded.ok) {
    // Headers may be missing (a foreign producer); filter on the body before dead-lettering.
    if (decoded.eventType !== undefined && !passesFilters(registry, options, decoded.eventType, undefined))
      return SKIPPED;
    if (decoded.newerVersion) return counted(input, newerVersion(input, decoded.eventType, decoded.newerVersion));
    return counted(input, {
      kind: 'dead-letter',
      reason: decoded.reason,
      error: decoded.error,
      eventType: decoded.eventType,
    });
  }
  const { event } = decoded;
  if (!passesFilters(registry, options, event.eventType, event.aggregateType)) return SKIPPED;
  if (options.versionGuard)
    return deliverGuarded(input, event, options.versionGuard).then((outcome) => counted(input, outcome));
  return runHandler(input, event, true);
}

/**
 * With a version guard: skips an event at or below the aggregate's high-water mark for the
 * group, otherwise runs the handler and raises the mark. A store that fails counts as a failed
 * attempt (retried, then dead-lettered), so nothing is skipped on a guess.
 */
async function deliverGuarded(
  input: DeliverInput,
  event: DomainEvent,
  guard: AggregateVersionStore,
): Promise<DeliveryOutcome> {
  const key: AggregateVersionKey = {
    group: input.options.group,
    tenantId: event.tenantId ?? null,
    aggregateType: event.aggregateType,
    aggregateId: event.aggregateId,
  };
  try {
    const handled = await guard.load(key);
    if (handled !== null && event.aggregateVersion <= handled) return SKIPPED;
  } catch (error) {
    return failed(error, input, event.eventType);
  }
  const outcome = await runHandler(input, event, false);
  if (outcome !== HANDLED) return outcome;
  try {
    await guard.raise(key, event.aggregateVersion);
  } catch (error) {
    return failed(error, input, event.eventType);
  }
  return HANDLED;
}

/** Runs the handler; `count`: the outcome is counted here (see {@link counted}). */
function runHandler(
  input: DeliverInput,
  event: DomainEvent,
  count: boolean,
): DeliveryOutcome | Promise<DeliveryOutcome> {
  const { options, headers } = input;
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  const span = tracer().startSpan(
    `eventsmith.bus.handle ${event.eventType}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.consumer.group.name': options.group,
        'eventsmith.event_type': event.eventType,
        'eventsmith.event_id': event.eventId,
        'eventsmith.aggregate_id': event.aggregateId,
        'eventsmith.attempt': input.attempt,
      },
    },
    parent,
  );
  let result: Promise<void> | void;
  try {
    result = context.with(trace.setSpan(parent, span), () => input.handler({ event, attempt: input.attempt, headers }));
  } catch (error) {
    const outcome = handlerFailed(span, error, input, event.eventType);
    return count ? counted(input, outcome) : outcome;
  }
  if (result !== undefined && typeof (result as { then?: unknown }).then === 'function') {
    return Promise.resolve(result).then(
      () => {
        span.end();
        return count ? counted(input, HANDLED) : HANDLED;
      },
      (error: unknown) => {
        const outcome = handlerFailed(span, error, input, event.eventType);
        return count ? counted(input, outcome) : outcome;
      },
    );
  }
  span.end();
  return count ? counted(input, HANDLED) : HANDLED;
}

let tracerOf: { provider: TracerProvider; tracer: Tracer } | undefined;

/**
 * The runtime's tracer, fetched again only when the global provider changes: without an SDK,
 * `trace.getTracer` builds a new proxy tracer on every call, once per message here.
 */
function tracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (tracerOf?.provider !== provider) tracerOf = { provider, tracer: provider.getTracer('@eventsmith/runtime') };
  return tracerOf.tracer;
}

const HANDLED: DeliveryOutcome = Object.freeze({ kind: 'ack', handled: true });
const SKIPPED: DeliveryOutcome = Object.freeze({ kind: 'ack', handled: false });

/** Records the failure on the span, ends it, and says whether to retry or dead-letter. */
function handlerFailed(span: Span, error: unknown, input: DeliverInput, eventType: string): DeliveryOutcome {
  const message = describeThrown(error);
  span.recordException(error instanceof Error ? error : new Error(message));
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.end();
  return failed(error, input, eventType);
}

/**
 * A message of a schema version newer than this consumer's registry knows was published by a
 * newer release of the app (a rolling deploy). It is not broken: release it for redelivery with
 * the group's backoff, however many attempts it took, so that a consumer running the newer
 * release handles it; never dead-letter it.
 */
function newerVersion(
  input: DeliverInput,
  eventType: string | undefined,
  versions: { readonly storedVersion: number; readonly knownVersion: number },
): DeliveryOutcome {
  return {
    kind: 'retry',
    delayMs: retryDelay(input.attempt, input.options),
    error:
      `${eventType ?? 'The event'} v${versions.storedVersion} was published by a newer version of the app (this consumer knows ` +
      `up to v${versions.knownVersion}); it is left for redelivery to a consumer that runs the newer version.`,
  };
}

/** Retry, or dead-letter once the attempts are used up. */
function failed(error: unknown, input: DeliverInput, eventType: string): DeliveryOutcome {
  const message = describeThrown(error);
  if (input.attempt >= input.options.maxAttempts)
    return { kind: 'dead-letter', reason: 'handler-failed', error: message, eventType };
  return { kind: 'retry', delayMs: retryDelay(input.attempt, input.options), error: message };
}

function passesFilters(
  registry: EventRegistry,
  options: ResolvedSubscribeOptions,
  eventType: string | undefined,
  aggregateType: string | undefined,
): boolean {
  if (options.eventTypes && eventType !== undefined) {
    const current = registry.has(eventType) ? registry.resolveType(eventType) : eventType;
    if (!options.eventTypes.has(current) && !options.eventTypes.has(eventType)) return false;
  }
  if (options.aggregateTypes && aggregateType !== undefined && !options.aggregateTypes.has(aggregateType)) return false;
  return true;
}
