import type amqplib from 'amqplib';
import { loadDriver } from '../../drivers/load-driver.js';

/** amqplib, loaded when this adapter is imported (an optional peer dependency: missing → DriverNotInstalledError). */
export const amqp: typeof amqplib = loadDriver('amqplib');
