import type { AggregateNode, DomainModel, EventNode, ProjectionNode, TypeNode } from '@eventsmith/schema';
import { DomainIndex } from './domain-index.js';
import type { Layout } from './layout.js';

/**
 * Emits a part of the output (the files of one aggregate, event or projection) through `emit`,
 * or returns what the same part emitted last time in this process when nothing it depends on
 * changed: the same `inputs` (compared with `===`; model nodes are immutable and the loader keeps
 * an unchanged entity's node), the same folders, and the same answer to every lookup `emit` made
 * through the index it is given. `generate --watch` then re-emits only what an edit touched.
 *
 * `emit` must be a pure function of `inputs`, the layout and the index, and must not change the
 * files it returns once they are returned: they may be handed out again.
 *
 * @example
 * ```ts
 * const file = emitOnce(`events:${aggregate.name}`, layout, [aggregate], index, (idx) => emitAggregateEvents(idx, layout, aggregate));
 * ```
 */
export function emitOnce<T>(
  key: string,
  layout: Layout,
  inputs: readonly unknown[],
  index: DomainIndex,
  emit: (index: DomainIndex) => T,
): T {
  const fullKey = `${key}\u0000${layout.options.outDir}\u0000${layout.options.userDir}`;
  const hit = memo.get(fullKey);
  if (hit && sameInputs(hit.inputs, inputs) && hit.reads.every((read) => replays(read, index))) return hit.output as T;
  const recorder = new RecordingIndex(index.model);
  const output = emit(recorder);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(fullKey, { inputs: [...inputs], reads: recorder.reads, output });
  return output;
}

// ---------------------------------------------------------------------------------------------

/** One lookup through the index and what it returned. */
type Read =
  | {
      readonly kind: 'type' | 'event' | 'aggregate';
      readonly name: string;
      readonly found: TypeNode | EventNode | AggregateNode;
    }
  | { readonly kind: 'events'; readonly found: readonly EventNode[] }
  | { readonly kind: 'projections'; readonly found: readonly ProjectionNode[] }
  | { readonly kind: 'model'; readonly found: DomainModel };

const memo = new Map<
  string,
  { readonly inputs: readonly unknown[]; readonly reads: readonly Read[]; readonly output: unknown }
>();
const MEMO_LIMIT = 50_000;

function sameInputs(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  return sameInputs(a, b);
}

function replays(read: Read, index: DomainIndex): boolean {
  try {
    switch (read.kind) {
      case 'type':
        return index.type(read.name) === read.found;
      case 'event':
        return index.event(read.name) === read.found;
      case 'aggregate':
        return index.aggregate(read.name) === read.found;
      case 'events':
        return sameList(index.events, read.found);
      case 'projections':
        return sameList(index.projections, read.found);
      case 'model':
        return index.model === read.found;
    }
  } catch {
    return false; // the name is gone
  }
}

/** An index that notes every lookup. Anything it does not track by name reads the model, which is noted as a whole. */
class RecordingIndex extends DomainIndex {
  readonly reads: Read[] = [];

  override get model(): DomainModel {
    const found = super.model;
    this.reads.push({ kind: 'model', found });
    return found;
  }
  override type(name: string): TypeNode {
    const found = super.type(name);
    this.reads.push({ kind: 'type', name, found });
    return found;
  }
  override event(name: string): EventNode {
    const found = super.event(name);
    this.reads.push({ kind: 'event', name, found });
    return found;
  }
  override aggregate(name: string): AggregateNode {
    const found = super.aggregate(name);
    this.reads.push({ kind: 'aggregate', name, found });
    return found;
  }
  override get events(): EventNode[] {
    const found = super.events;
    this.reads.push({ kind: 'events', found: [...found] });
    return found;
  }
  override get projections(): readonly ProjectionNode[] {
    const found = [...super.model.projections];
    this.reads.push({ kind: 'projections', found });
    return found;
  }
}
