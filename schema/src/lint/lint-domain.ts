import type { DomainModel, FieldNode, FieldType, ProjectionNode, SourceLocation } from '../model.js';
import { diagnostic, sortDiagnostics, type Diagnostic } from './diagnostic.js';

/**
 * The flow checks of a loaded domain: what is declared but never flows anywhere. Pure: reads
 * the model, returns located {@link Diagnostic}s sorted by severity and position.
 *
 * - `FLOW.UNUSED_TYPE` (warning): a type under `types:` that no event version, aggregate state
 *   or command reaches, directly or through other types.
 * - `FLOW.COLUMN_NEVER_SET` (warning): a projection column that no handler sets and that has no
 *   `default`. Projections with a `custom` handler are not checked (the handler may set it).
 * - `FLOW.EVENT_UNREAD` (info): once per domain, the events no projection has a handler for and
 *   no reaction reacts to (retired events left out), each at its declaration.
 *
 * @example
 * ```ts
 * const result = loadDomain(files);
 * if (result.ok) {
 *   const warnings = lintDomain(result.value).filter((d) => d.severity === 'warning');
 * }
 * ```
 */
export function lintDomain(model: DomainModel): readonly Diagnostic[] {
  return Object.freeze(sortDiagnostics([...unusedTypes(model), ...columnsNeverSet(model), ...eventsUnread(model)]));
}

function unusedTypes(model: DomainModel): Diagnostic[] {
  const byName = new Map(model.types.map((t) => [t.name, t]));
  // Which named types each type refers to, and which the domain's events, states and commands reach.
  const refsOf = (fields: readonly FieldNode[]) => fields.flatMap((f) => typeRefs(f.type));
  const roots = [
    ...model.events.flatMap((e) => [...refsOf(e.fields), ...e.history.flatMap((v) => refsOf(v.fields))]),
    ...model.aggregates.flatMap((a) => [
      ...a.state.flatMap((s) => typeRefs(s.type)),
      ...a.commands.flatMap((c) => refsOf(c.params)),
    ]),
  ];
  const reached = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const name = queue.pop()!;
    if (reached.has(name)) continue;
    reached.add(name);
    const type = byName.get(name);
    if (type?.kind === 'ValueObjectNode') queue.push(...refsOf(type.fields));
  }
  return model.types
    .filter((t) => !reached.has(t.name))
    .map((t) => {
      const users = model.types
        .filter((u) => u.kind === 'ValueObjectNode' && u.name !== t.name && refsOf(u.fields).includes(t.name))
        .map((u) => u.name);
      const what = t.kind === 'EnumNode' ? 'Enum' : 'Type';
      return diagnostic(
        'warning',
        'FLOW.UNUSED_TYPE',
        users.length === 0
          ? `${what} "${t.name}" is declared, but nothing uses it.`
          : `${what} "${t.name}" is used only by ${users.length === 1 ? 'type' : 'types'} ${users.map((u) => `"${u}"`).join(', ')}, which no event, state or command uses.`,
        `Use it as the type of a field (\`${camel(t.name)}: ${t.name}\`), or delete it from types:.`,
        t.source,
      );
    });
}

function columnsNeverSet(model: DomainModel): Diagnostic[] {
  return model.projections
    .filter((p) => p.handlers.every((h) => h.kind === 'DeclarativeHandlerNode'))
    .flatMap((p) => {
      const set = assignedColumns(p);
      return p.columns
        .filter((c) => c.default === undefined && !set.has(c.name))
        .map((c) =>
          diagnostic(
            'warning',
            'FLOW.COLUMN_NEVER_SET',
            `Column "${c.name}" of projection ${p.name} is set by no handler and has no default${c.nullable ? ', so it is always NULL' : ''}.`,
            `Set it in a handler under on: (\`insert\`, \`upsert\` or \`update.set\`), give it a \`default\`, or delete the column.`,
            c.source,
          ),
        );
    });
}

function eventsUnread(model: DomainModel): Diagnostic[] {
  const read = new Set([
    ...model.projections.flatMap((p) => p.handlers.map((h) => h.event)),
    ...model.reactions.map((r) => r.event),
  ]);
  const unread = model.events.filter((e) => !e.retired && !read.has(e.name));
  if (unread.length === 0) return [];
  const names = unread.map((e) => e.name);
  const byPosition = [...unread].sort((a, b) => comparePosition(a.source, b.source));
  return [
    diagnostic(
      'info',
      'FLOW.EVENT_UNREAD',
      `${unread.length} ${unread.length === 1 ? 'event is' : 'events are'} read by no projection or reaction of domain ${model.name}: ${names.join(', ')}.`,
      unread.length === 1
        ? "Nothing to do if no read model needs it (its aggregate still replays it). To show it in a read model, add a handler for it under a projection's on:; to act on it, add a reaction under reactions:."
        : "Nothing to do if no read model needs them (their aggregates still replay them). To show one in a read model, add a handler for it under a projection's on:; to act on one, add a reaction under reactions:.",
      model.source,
      byPosition.map((e) => e.source),
    ),
  ];
}

/** The columns some handler of the projection assigns (insert, upsert or update.set). */
function assignedColumns(p: ProjectionNode): Set<string> {
  const set = new Set<string>();
  for (const h of p.handlers) {
    if (h.kind !== 'DeclarativeHandlerNode') continue;
    const op = h.operation;
    const values =
      op.kind === 'InsertOperation' || op.kind === 'UpsertOperation'
        ? op.values
        : op.kind === 'UpdateOperation'
          ? op.set
          : [];
    for (const v of values) set.add(v.column);
  }
  return set;
}

/** The named types a field type refers to, through lists and inline objects. */
function typeRefs(type: FieldType): string[] {
  switch (type.kind) {
    case 'RefType':
      return [type.name];
    case 'ListType':
      return typeRefs(type.items);
    case 'ObjectType':
      return type.fields.flatMap((f) => typeRefs(f.type));
    case 'ScalarType':
    case 'EnumType':
      return [];
  }
}

function comparePosition(a: SourceLocation, b: SourceLocation): number {
  const cmp = (x: string | number, y: string | number) => (x < y ? -1 : x > y ? 1 : 0);
  return cmp(a.file, b.file) || cmp(a.line, b.line) || cmp(a.col, b.col);
}

function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
