export * from './backoff.js';
export * from './retry-policy.js';
export * from './sleep.js';
