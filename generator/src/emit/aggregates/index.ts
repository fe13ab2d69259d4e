import type { Emitter } from '../emitter.js';
import { emit } from './emit-aggregates.js';

/** The aggregates target: per aggregate its generated base class and a user-owned skeleton. */
export const aggregatesEmitter: Emitter = {
  name: 'aggregates',
  emit: (model, { index, layout }) => emit(model, index, layout),
};
