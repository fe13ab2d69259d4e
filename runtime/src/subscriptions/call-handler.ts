import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { StoredEvent } from '../store/event-store.js';
import { instruments, MetricAttributes, secondsSince } from '../telemetry/metrics.js';
import { traceLinks } from '../telemetry/tracing.js';
import { HandlerTimeoutError } from './subscription-errors.js';
import type { BatchEventHandler, HandlerContext, SubscriptionHandler } from './subscription-options.js';

const SETTLED: Promise<void> = Promise.resolve();

/** What a runner passes to {@link callHandler}. */
export interface HandlerCall {
  readonly subscription: string;
  readonly handler: SubscriptionHandler;
  readonly timeoutMs: number;
  /** Aborts the handler's `context.signal` (a forced stop). */
  readonly force: AbortSignal | undefined;
  /** Asked between two events of a unit: true stops there (the run was interrupted). */
  readonly interrupted: (() => boolean) | undefined;
}

/** The parts of a {@link HandlerContext} that depend on the attempt. */
export type HandlerContextBase = Pick<HandlerContext, 'sql' | 'transaction' | 'attempt' | 'redelivery'>;

/** A handler failure, told apart from failures of the feed, checkpoint or transaction around it. */
export class HandlerFailure {
  constructor(
    readonly error: unknown,
    /** Index in the unit of the event whose handler failed (0 for batch handlers). */
    readonly index: number,
  ) {}
}

/**
 * Calls the handler for `unit` (a batch handler once, others event by event), each call bounded
 * by `timeoutMs`; returns how many of its events were handled (all, unless interrupted between
 * two). A handler that throws or times out surfaces as a {@link HandlerFailure}.
 */
export async function callHandler(
  call: HandlerCall,
  unit: readonly StoredEvent[],
  base: HandlerContextBase,
): Promise<number> {
  // One controller and context per unit (not per event): cheap on hot catch-up paths.
  const controller = new AbortController();
  const force = call.force;
  const onForce = () => controller.abort(force?.reason);
  if (force?.aborted) onForce();
  else force?.addEventListener('abort', onForce, { once: true });
  const context: HandlerContext = { subscription: call.subscription, signal: controller.signal, ...base };
  const handler = call.handler;
  const metrics = instruments();
  const attributes = { [MetricAttributes.subscription]: call.subscription };
  const span = batchSpan(call.subscription, unit, base.attempt);
  let handled = 0;
  try {
    if (isBatchHandler(handler)) {
      const start = performance.now();
      await withTimeout(call, unit, 0, controller, () => handler.handleBatch(unit, context));
      metrics.subscriptionHandlerDuration.record(secondsSince(start), attributes);
      return (handled = unit.length);
    }
    // One clock read per event: each call's end is the next one's start.
    let start = performance.now();
    for (let i = 0; i < unit.length; i++) {
      if (i > 0 && call.interrupted?.()) return (handled = i);
      const stored = unit[i]!;
      let result: Promise<void> | void;
      try {
        result = typeof handler === 'function' ? handler(stored, context) : handler.handle(stored, context);
      } catch (error) {
        throw new HandlerFailure(error, i);
      }
      // A handler that returns at once needs no timer; the await on a settled promise keeps the
      // microtask turn between two events that a stop or pause asked from a continuation relies on.
      if (result instanceof Promise) await raceTimeout(call, unit, i, controller, result);
      else await SETTLED;
      const end = performance.now();
      metrics.subscriptionHandlerDuration.record((end - start) / 1000, attributes);
      start = end;
      handled = i + 1;
    }
    return handled;
  } catch (error) {
    const cause = error instanceof HandlerFailure ? error.error : error;
    span?.recordException(cause instanceof Error ? cause : new Error(String(cause)));
    span?.setStatus({ code: SpanStatusCode.ERROR, message: cause instanceof Error ? cause.message : String(cause) });
    throw error;
  } finally {
    force?.removeEventListener('abort', onForce);
    if (handled > 0) metrics.subscriptionEventsHandled.add(handled, attributes);
    span?.setAttribute('eventsmith.event_count', handled);
    span?.end();
  }
}

/**
 * One `eventsmith.subscription.batch` span per unit of work, linked to the traces that wrote its
 * events (their metadata's `traceparent`), so a trace view leads from a command to the projections
 * and reactions it started. No span without a tracer provider that records.
 */
function batchSpan(subscription: string, unit: readonly StoredEvent[], attempt: number) {
  const span = trace.getTracer('@eventsmith/runtime').startSpan('eventsmith.subscription.batch', {
    root: true,
    attributes: {
      [MetricAttributes.subscription]: subscription,
      'eventsmith.attempt': attempt,
      'eventsmith.first_event_id': unit[0]?.event.eventId ?? '',
    },
  });
  // Links are read from the events only when the span records (nothing to pay without an SDK).
  if (!span.isRecording()) return undefined;
  return span.addLinks(traceLinks(unit.map((stored) => stored.event.metadata)));
}

export function isBatchHandler(handler: SubscriptionHandler): handler is BatchEventHandler {
  return typeof handler === 'object' && typeof (handler as { handleBatch?: unknown }).handleBatch === 'function';
}

/** {@link withTimeout} for a call that already returned `result`. */
async function raceTimeout(
  call: HandlerCall,
  unit: readonly StoredEvent[],
  index: number,
  controller: AbortController,
  result: Promise<void>,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      result,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const ids = isBatchHandler(call.handler) ? unit.map((s) => s.event.eventId) : [unit[index]!.event.eventId];
          const error = new HandlerTimeoutError(call.subscription, call.timeoutMs, ids);
          controller.abort(error);
          reject(error);
        }, call.timeoutMs);
      }),
    ]);
  } catch (error) {
    throw new HandlerFailure(error, index);
  } finally {
    clearTimeout(timer);
  }
}

async function withTimeout(
  call: HandlerCall,
  unit: readonly StoredEvent[],
  index: number,
  controller: AbortController,
  fn: () => Promise<void> | void,
): Promise<void> {
  let result: Promise<void> | void;
  try {
    result = fn();
  } catch (error) {
    throw new HandlerFailure(error, index);
  }
  if (result instanceof Promise) await raceTimeout(call, unit, index, controller, result);
}
