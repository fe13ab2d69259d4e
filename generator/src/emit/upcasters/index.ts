import type { Emitter } from '../emitter.js';
import { emit } from './emit-upcasters.js';

export { customSteps } from './emit-upcasters.js';

/** The upcasters target: step types and declarative steps per versioned event, golden tests, custom stubs. */
export const upcastersEmitter: Emitter = {
  name: 'upcasters',
  emit: (model, { index, layout }) => emit(model, index, layout),
};
