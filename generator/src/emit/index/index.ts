export { emit } from './emit-index.js';
