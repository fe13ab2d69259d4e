// `@eventsmith/runtime/mysql`: the MariaDB/MySQL event store (mysql2 via Kysely).
export * from './mysql-event-store.js';
export * from './mysql-snapshot-store.js';
export * from './mysql-dialect.js';
export * from '../sql/index.js';
