export * from './tenant-context.js';
