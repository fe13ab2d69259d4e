import type pgModule from 'pg';
import { loadDriver } from '../../drivers/load-driver.js';

/** pg, loaded when this adapter is imported (an optional peer dependency: missing → DriverNotInstalledError). */
export const pgDriver: typeof pgModule = loadDriver('pg');
