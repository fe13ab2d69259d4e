import type BetterSqlite3Module from 'better-sqlite3';
import { loadDriver } from '../../drivers/load-driver.js';

/** better-sqlite3, loaded when this adapter is imported (an optional peer dependency: missing → DriverNotInstalledError). */
export const BetterSqlite3: typeof BetterSqlite3Module = loadDriver('better-sqlite3');
