export * from './projection.js';
export * from './migrate-projections.js';
export * from './projection-subscription.js';
export * from './projection-errors.js';
export * from './table-rename-plugin.js';
export * from './rebuild-projection.js';
