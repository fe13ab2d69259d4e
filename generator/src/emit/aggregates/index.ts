export { aggregateNames, emit } from './emit-aggregates.js';
