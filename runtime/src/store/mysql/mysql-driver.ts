import { loadDriver } from '../../drivers/load-driver.js';

/** mysql2, loaded when this adapter is imported (an optional peer dependency: missing → DriverNotInstalledError). */
export const mysql2: typeof import('mysql2') = loadDriver('mysql2');
