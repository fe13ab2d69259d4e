import './polyfills.js';

export * from './errors.js';
export * from './events/index.js';
export * from './aggregates/index.js';
export * from './snapshots/index.js';
export * from './store/index.js';
export * from './bus/index.js';
export * from './retry/index.js';
export * from './subscriptions/index.js';
export * from './projections/index.js';
export * from './outbox/index.js';
export * from './tenancy/index.js';
export * from './telemetry/index.js';
export * from './app/index.js';
export { z } from 'zod';
// Kysely's types, so generated projection code and apps can type their tables without their own dependency on kysely.
export type { ColumnType, Generated, Insertable, Kysely, Migration, Selectable, Transaction, Updateable } from 'kysely';
