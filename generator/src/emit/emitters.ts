import { aggregatesEmitter } from './aggregates/index.js';
import { appEmitter } from './app/index.js';
import { docsEmitter } from './docs/index.js';
import type { Emitter } from './emitter.js';
import { eventsEmitter } from './events/index.js';
import { indexEmitter } from './index/index.js';
import { lockEmitter } from './lock/index.js';
import { projectionsEmitter } from './projections/index.js';
import { upcastersEmitter } from './upcasters/index.js';

/**
 * The targets `eventsmith generate` runs, in order. An emitter sees the files of those before it
 * (`context.emitted`), so the index target comes after every target it re-exports. A new target is
 * one folder under `emit/` and one line here.
 */
export const CODE_EMITTERS: readonly Emitter[] = [
  eventsEmitter,
  upcastersEmitter,
  aggregatesEmitter,
  projectionsEmitter,
  appEmitter,
  indexEmitter,
  lockEmitter,
];

/** The targets `eventsmith docs` runs. */
export const DOCS_EMITTERS: readonly Emitter[] = [docsEmitter];
