import {
  ROOT_CONTEXT,
  TraceFlags,
  context as otelContext,
  createTraceState,
  isSpanContextValid,
  propagation,
  trace,
  type Context,
} from '@opentelemetry/api';

/**
 * Writes the W3C trace context (`traceparent`, and `tracestate` when there is one) of `ctx` into
 * message headers. The globally registered propagator runs first (so baggage or a custom format
 * travels too); when none is registered, the W3C headers are written directly, so trace context
 * crosses every bus even in apps that only installed a tracer provider.
 *
 * @example
 * ```ts
 * const headers: Record<string, string> = {};
 * injectTraceHeaders(headers); // { traceparent: '00-…-…-01' } inside an active span
 * ```
 */
export function injectTraceHeaders(headers: Record<string, string>, ctx: Context = otelContext.active()): void {
  propagation.inject(ctx, headers);
  if (headers['traceparent'] !== undefined) return;
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !isSpanContextValid(spanContext)) return;
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  headers['traceparent'] = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
  const state = spanContext.traceState?.serialize();
  if (state) headers['tracestate'] = state;
}

/**
 * The remote parent context carried by message headers, or the root context when they carry none.
 * Uses the global propagator first and falls back to parsing `traceparent` itself.
 *
 * @example
 * ```ts
 * const parent = extractTraceContext(delivery.headers);
 * tracer.startActiveSpan('handle', {}, parent, (span) => …);
 * ```
 */
export function extractTraceContext(headers: Readonly<Record<string, string | undefined>>): Context {
  const extracted = propagation.extract(ROOT_CONTEXT, headers);
  const found = trace.getSpanContext(extracted);
  if (found && isSpanContextValid(found)) return extracted;
  const parsed = parseTraceparent(headers['traceparent']);
  if (!parsed) return extracted;
  const state = headers['tracestate'];
  return trace.setSpanContext(extracted, state ? { ...parsed, traceState: createTraceState(state) } : parsed);
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?$/;

function parseTraceparent(value: string | undefined) {
  const match = value === undefined ? null : TRACEPARENT.exec(value.trim());
  if (!match || match[1] === 'ff') return undefined;
  const spanContext = { traceId: match[2]!, spanId: match[3]!, traceFlags: parseInt(match[4]!, 16), isRemote: true };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** Plain string headers from a broker's header map (Buffers decoded as UTF-8, other values dropped). */
export function stringHeaders(raw: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === 'string') out[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
      out[key] = String(value);
    else if (Buffer.isBuffer(value)) out[key] = value.toString('utf8');
  }
  return out;
}
