import type { DomainModel } from '@eventsmith/schema';
import type { DomainIndex } from './common/domain-index.js';
import type { GeneratedFile } from './common/generated-file.js';
import type { Layout } from './common/layout.js';
import type { ProjectionSnapshot } from './projections/table-shape.js';

/**
 * What every emitter gets besides the model: where files go, lookups over the model, and what
 * earlier emitters and the previous run produced. Read-only; emitters are pure.
 */
export interface EmitContext {
  /** Every output path (and, in `common/names.ts`, every symbol name) the targets agree on. */
  readonly layout: Layout;
  /** Lookups over the model (types, events, aggregates by name). */
  readonly index: DomainIndex;
  /** The files the emitters listed before this one returned (the index target re-exports them). */
  readonly emitted: readonly GeneratedFile[];
  /** The projection snapshot the previous run wrote (`projections/migrations/snapshot.json`), if any. */
  readonly projectionSnapshot?: ProjectionSnapshot;
}

/**
 * One output target: a folder `emit/<name>/` whose `index.ts` exports an `Emitter`, listed once in
 * `emit/emitters.ts`. An emitter reads the immutable model only and returns files; it never
 * imports another target's folder: shared paths live in `Layout`, shared names in
 * `common/names.ts`.
 *
 * @example
 * ```ts
 * export const lockEmitter: Emitter = {
 *   name: 'lock',
 *   emit: (model, { layout }) => [GeneratedFile.generated(layout.eventLock, sources).print(text)],
 * };
 * ```
 */
export interface Emitter {
  /** The target's name, its folder under `emit/` (`events`, `aggregates`, …). */
  readonly name: string;
  emit(model: DomainModel, context: EmitContext): GeneratedFile[];
}
