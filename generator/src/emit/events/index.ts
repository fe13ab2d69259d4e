import type { DomainModel } from '@eventsmith/schema';
import { DomainIndex } from '../common/domain-index.js';
import { emitOnce } from '../common/emit-memo.js';
import type { GeneratedFile } from '../common/generated-file.js';
import { Layout, type EmitOptions } from '../common/layout.js';
import { emitAggregateEvents } from './emit-events.js';
import { emitRegistry } from './emit-registry.js';
import { emitTypes } from './emit-types.js';

export { eventNames } from './emit-events.js';
export { registryNames } from './emit-registry.js';

/**
 * The events target: `types.ts` (shared value objects and enums), one `events/<aggregate>.ts`
 * per aggregate, and `registry.ts`.
 *
 * @example
 * ```ts
 * const files = emit(model, { outDir: 'generated/bank', userDir: 'examples/bank/src' });
 * ```
 */
export function emit(model: DomainModel, options: EmitOptions): GeneratedFile[] {
  const index = new DomainIndex(model);
  const layout = new Layout(options);
  const files: GeneratedFile[] = [];
  const types = emitTypes(index, layout);
  if (types) files.push(types);
  for (const aggregate of model.aggregates)
    files.push(
      emitOnce(`events:${aggregate.name}`, layout, [aggregate], index, (idx) =>
        emitAggregateEvents(idx, layout, aggregate),
      ),
    );
  files.push(emitRegistry(index, layout));
  return files;
}
