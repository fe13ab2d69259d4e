import {
  context,
  createNoopMeter,
  INVALID_SPAN_CONTEXT,
  propagation,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Attributes,
  type Histogram,
  type Link,
  type Span,
} from '@opentelemetry/api';
import { instruments, secondsSince } from './metrics.js';

const tracer = () => trace.getTracer('@eventsmith/runtime');

/** The provider the API's proxy hands spans to while none is registered: its no-op one. */
const NO_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();
/** The span `fn` gets then, non-recording, as the no-op tracer's own. */
const NON_RECORDING_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
/** The meter of the API's no-op meter provider, the global one while none is registered. */
const NO_METER = createNoopMeter();

/**
 * Whether a tracer provider is registered. Without one, the no-op tracer still makes a span, a
 * context holding it and a scope around `fn` on every call, which shows: skipping them cut a
 * single-event SQLite append's CPU by ~38 µs at synchronous FULL (446 -> 408 µs, medians of 12
 * interleaved rounds, lower in 11), where each append runs on caches the sync before it cooled.
 * Spans without a duration metric (the repository's) need nothing at all then: their callers may
 * skip {@link withSpan} and the attributes they would build for it.
 */
export function tracing(): boolean {
  const provider = trace.getTracerProvider();
  return !(provider instanceof ProxyTracerProvider && provider.getDelegate() === NO_TRACER_PROVIDER);
}

/** Span attribute names the runtime emits. */
export const SpanAttributes = {
  stream: 'eventsmith.stream_id',
  aggregateType: 'eventsmith.aggregate_type',
  aggregateId: 'eventsmith.aggregate_id',
  expectedVersion: 'eventsmith.expected_version',
  version: 'eventsmith.version',
  eventCount: 'eventsmith.event_count',
  store: 'eventsmith.store_id',
  snapshot: 'eventsmith.snapshot',
} as const;

/**
 * Runs `fn` inside an active span. Without a tracer provider registered, `fn` runs with a
 * non-recording span and the context unchanged, as cheaply as possible; the duration metric of
 * store spans is recorded either way.
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  const duration = durationOf(name);
  const start = duration ? performance.now() : 0;
  if (!tracing()) {
    try {
      return await fn(NON_RECORDING_SPAN);
    } finally {
      recordDuration(duration, start, attributes);
    }
  }
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      throw failed(span, error);
    } finally {
      span.end();
      recordDuration(duration, start, attributes);
    }
  });
}

/**
 * {@link withSpan} for a synchronous `fn`: the same span and duration metric, without the two
 * promises an async body costs (a SQLite append that finds its writer free runs whole in the call).
 */
export function withSpanSync<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T {
  const duration = durationOf(name);
  const start = duration ? performance.now() : 0;
  if (!tracing()) {
    try {
      return fn(NON_RECORDING_SPAN);
    } finally {
      recordDuration(duration, start, attributes);
    }
  }
  return tracer().startActiveSpan(name, { attributes }, (span) => {
    try {
      return fn(span);
    } catch (error) {
      throw failed(span, error);
    } finally {
      span.end();
      recordDuration(duration, start, attributes);
    }
  });
}

/** The store spans whose durations are also metrics (`eventsmith.store.append.duration`, `…read.duration`). */
function durationOf(name: string): Histogram | undefined {
  const store =
    name === 'eventsmith.store.append' ||
    name === 'eventsmith.store.read_stream' ||
    name === 'eventsmith.store.read_all';
  if (!store) return undefined;
  const runtime = instruments();
  if (runtime.meter === NO_METER) return undefined; // no meter provider registered: nothing to time
  return name === 'eventsmith.store.append' ? runtime.storeAppendDuration : runtime.storeReadDuration;
}

/** Marks `span` as failed with `error`, and returns `error` to be thrown again. */
function failed(span: Span, error: unknown): unknown {
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
  return error;
}

/** Records a store span's duration since `start` (when it has a duration metric), with its store attribute. */
function recordDuration(duration: Histogram | undefined, start: number, attributes: Attributes): void {
  duration?.record(secondsSince(start), storeAttributes(attributes));
}

function storeAttributes(attributes: Attributes): Attributes {
  const store = attributes[SpanAttributes.store];
  return store === undefined ? {} : { [SpanAttributes.store]: store };
}

/**
 * The W3C trace context of the active span, for an event's metadata (`traceparent`, and
 * `tracestate` when there is one), so work the event starts later can link back to the trace
 * that wrote it. Undefined when no span is recording (no OpenTelemetry SDK, or not sampled).
 */
export function activeTraceContext(): Readonly<Record<string, string>> | undefined {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier['traceparent'] ? carrier : undefined;
}

/** Span links to the traces recorded in the metadata of `metadatas` (see {@link activeTraceContext}), one per trace. */
export function traceLinks(metadatas: Iterable<Readonly<Record<string, unknown>>>): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const metadata of metadatas) {
    const traceparent = metadata['traceparent'];
    if (typeof traceparent !== 'string' || seen.has(traceparent)) continue;
    seen.add(traceparent);
    const carrier: Record<string, string> = { traceparent };
    if (typeof metadata['tracestate'] === 'string') carrier['tracestate'] = metadata['tracestate'];
    const spanContext = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, carrier));
    if (spanContext && trace.isSpanContextValid(spanContext)) links.push({ context: spanContext });
  }
  return links;
}

/**
 * Wraps a lazy async iterable so that consuming it is one span, ended when the iteration
 * finishes, fails or is abandoned (`break`). The span records how many items were read.
 *
 * @example
 * ```ts
 * return traceIterable('eventsmith.store.read_stream', { [SpanAttributes.stream]: streamId }, this.#read(streamId));
 * ```
 */
export async function* traceIterable<T>(
  name: string,
  attributes: Attributes,
  iterable: AsyncIterable<T>,
): AsyncGenerator<T> {
  const span = tracer().startSpan(name, { attributes });
  const duration = durationOf(name);
  const start = performance.now();
  let count = 0;
  try {
    for await (const item of iterable) {
      count++;
      yield item;
    }
  } catch (error) {
    throw failed(span, error);
  } finally {
    span.setAttribute(SpanAttributes.eventCount, count);
    span.end();
    recordDuration(duration, start, attributes);
  }
}
