export * from './projection.js';
export * from './migrate-projections.js';
export * from './projection-errors.js';
export * from './table-rename-plugin.js';
export * from './row-operation.js';
export type { Counter, RowTable } from './row-table.js';
export { applyRowOperation } from './apply-row-operation.js';
export * from './row-batch.js';
export * from './declarative-projection.js';
