import { SpanStatusCode, trace, type Attributes, type Span } from '@opentelemetry/api';

const tracer = () => trace.getTracer('@eventsmith/runtime');

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
 * Runs `fn` inside an active span. Without an OpenTelemetry SDK registered, the API hands out
 * no-op spans and this costs next to nothing.
 */
export async function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  });
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
  let count = 0;
  try {
    for await (const item of iterable) {
      count++;
      yield item;
    }
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.setAttribute(SpanAttributes.eventCount, count);
    span.end();
  }
}
