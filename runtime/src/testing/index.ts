// The testing kit, shipped as `@eventsmith/runtime/testing`: conformance suites for store
// adapters, given/when/then helpers for aggregates and golden tests for upcasters. It imports
// vitest and fast-check, so it is only loaded from test files.
import '../polyfills.js';

export * from './collect.js';
export * from './conformance-events.js';
export * from './store-conformance-suite.js';
export * from './snapshot-store-conformance-suite.js';
export * from './tenant-isolation-suite.js';
export * from './bus-conformance.js';
export * from './given-aggregate.js';
export * from './describe-upcaster-goldens.js';
