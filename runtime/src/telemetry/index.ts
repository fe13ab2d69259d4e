export * from './tracing.js';
export { MetricAttributes, MetricNames } from './metrics.js';
