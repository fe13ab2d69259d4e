// `@eventsmith/runtime/testing/conformance`: the suites every event store, snapshot store and bus adapter passes,
// for writing an adapter of your own. Needs vitest, fast-check and the OpenTelemetry SDK (optional peers).
import '../polyfills.js';

export * from './collect.js';
export * from './conformance-events.js';
export * from './store-conformance-suite.js';
export * from './snapshot-store-conformance-suite.js';
export * from './tenant-isolation-suite.js';
export * from './bus-conformance.js';
