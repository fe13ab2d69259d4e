export { SpanAttributes, withSpan, withSpanSync, activeTraceContext, traceLinks, traceIterable } from './tracing.js';
export { MetricAttributes, MetricNames } from './metrics.js';
