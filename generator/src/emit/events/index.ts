import type { DomainModel } from '@eventsmith/schema';
import type { DomainIndex } from '../common/domain-index.js';
import type { GeneratedFile } from '../common/generated-file.js';
import type { Layout } from '../common/layout.js';
import type { Emitter } from '../emitter.js';
import { emitAggregateEvents } from './emit-events.js';
import { emitRegistry } from './emit-registry.js';
import { emitTypes } from './emit-types.js';

/**
 * The events target: `types.ts` (shared value objects and enums), one `events/<aggregate>.ts`
 * per aggregate, and `registry.ts`.
 *
 */
export const eventsEmitter: Emitter = {
  name: 'events',
  emit: (model, { index, layout }) => emit(model, index, layout),
};

function emit(model: DomainModel, index: DomainIndex, layout: Layout): GeneratedFile[] {
  const files: GeneratedFile[] = [];
  const types = emitTypes(index, layout);
  if (types) files.push(types);
  for (const aggregate of model.aggregates) files.push(emitAggregateEvents(index, layout, aggregate));
  files.push(emitRegistry(index, layout));
  return files;
}
