// `@eventsmith/runtime/postgres`: the PostgreSQL event store (pg via Kysely).
export * from './postgres-event-store.js';
export * from './postgres-snapshot-store.js';
export * from './postgres-dialect.js';
export * from '../sql/index.js';
