// `@eventsmith/runtime/testing`: helpers for an application's own tests: given/when/then for aggregates, golden
// tests for upcasters, and `collect`. It needs only vitest. The adapter conformance suites, which also need
// fast-check and the OpenTelemetry SDK, are `@eventsmith/runtime/testing/conformance`.
import '../polyfills.js';

export * from './collect.js';
export * from './given-aggregate.js';
export * from './describe-upcaster-goldens.js';
