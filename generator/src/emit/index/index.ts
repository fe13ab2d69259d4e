import type { Emitter } from '../emitter.js';
import { emit } from './emit-index.js';

/** The index target: `index.ts`, re-exporting what the emitters before it returned. */
export const indexEmitter: Emitter = {
  name: 'index',
  emit: (model, { layout, emitted }) => emit(model, layout, emitted),
};
