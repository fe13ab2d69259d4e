export * from './projection.js';
export * from './migrate-projections.js';
