import type { Emitter } from '../emitter.js';
import { emit } from './emit-app.js';

/** The app target: the domain's app definition and `create<Domain>App`, and stubs of custom reactions. */
export const appEmitter: Emitter = {
  name: 'app',
  emit: (model, { index, layout }) => emit(model, index, layout),
};
