export * from './projection.js';
export * from './migrate-projections.js';
export * from './projection-subscription.js';
