import { loadDriver } from '../../drivers/load-driver.js';

/** kafkajs, loaded when this adapter is imported (an optional peer dependency: missing → DriverNotInstalledError). */
export const kafkajs: typeof import('kafkajs') = loadDriver('kafkajs');
