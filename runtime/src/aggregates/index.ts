export * from './aggregate-root.js';
export * from './aggregate-repository.js';
export * from './command-context.js';
export * from './decider-aggregate.js';
export * from './handles.js';
export * from './parse-command.js';
export * from './handler-not-written.js';
export * from './command-not-written.js';
