import { loadDriver } from '../../drivers/load-driver.js';

/** ioredis, loaded when this adapter is imported (an optional peer dependency: missing → DriverNotInstalledError). */
export const ioredis: typeof import('ioredis') = loadDriver('ioredis');
