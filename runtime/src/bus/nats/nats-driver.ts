import { loadDriver } from '../../drivers/load-driver.js';

/** nats, loaded when this adapter is imported (an optional peer dependency: missing → DriverNotInstalledError). */
export const nats: typeof import('nats') = loadDriver('nats');
