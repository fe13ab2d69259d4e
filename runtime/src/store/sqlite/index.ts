// `@eventsmith/runtime/sqlite`: the embedded SQLite event store (better-sqlite3 via Kysely).
export * from './sqlite-event-store.js';
export * from './sqlite-snapshot-store.js';
export * from './sqlite-dialect.js';
export * from '../sql/index.js';
