export * from './app-definition.js';
export * from './app-errors.js';
export * from './command-dispatcher.js';
export * from './create-app.js';
export * from './migrate-app.js';
export * from './reactions.js';
export * from './wait-for-projections.js';
export * from './custom-handlers.js';
