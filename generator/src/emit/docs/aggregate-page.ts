import type { AggregateNode, DomainModel, EventNode, FieldNode, ReactionNode } from '@eventsmith/schema';
import { anchor, code, stepText, table, typeText, valueText, where } from './markdown.js';
import { flowDiagram, versionDiagram } from './mermaid.js';

/** The Markdown page of one aggregate: flow, commands, events with every version, state, snapshots. */
export function aggregatePageText(model: DomainModel, aggregate: AggregateNode): string {
  const events = model.events.filter((e) => e.aggregate === aggregate.name);
  const parts: string[] = [`# ${aggregate.name}`];
  if (aggregate.description) parts.push(aggregate.description);
  parts.push(`An aggregate of the [${model.name} domain](../README.md), declared at ${code(where(aggregate.source))}.`);
  const flow = flowDiagram(model, [aggregate.name]);
  const intro = flow.includes('rct_')
    ? 'Commands, the events they raise, the projection tables that read them, and the reactions between this aggregate and others.'
    : 'Commands, the events they raise, and the projection tables that read them.';
  parts.push('## Flow', intro, mermaid(flow));

  parts.push('## Commands');
  if (aggregate.commands.length === 0) parts.push('None.');
  for (const command of aggregate.commands) {
    parts.push(`### ${command.name}`);
    if (command.description) parts.push(command.description);
    parts.push(command.params.length === 0 ? 'No parameters.' : fieldTable(command.params));
    parts.push(`Emits: ${command.emits.map((e) => `[${e}](#${anchor(e)})`).join(', ')}.`);
  }

  parts.push('## Events');
  for (const event of events) parts.push(...eventSection(model, event));

  parts.push('## State');
  parts.push(
    aggregate.state.length === 0
      ? 'No state fields.'
      : table(
          ['Field', 'Type', 'Initial', 'Description'],
          aggregate.state.map((f) => [f.name, code(`${typeText(f.type)}${f.optional ? '?' : ''}`), valueText(f.initial), f.description ?? '']),
        ),
  );

  parts.push('## Snapshots');
  parts.push(
    aggregate.snapshot
      ? `A snapshot is taken every ${aggregate.snapshot.every} events; loading starts from the latest one and applies only the events after it.`
      : 'No snapshot policy: the aggregate is loaded by replaying its events.',
    `State version: ${aggregate.stateVersion}. A snapshot is ignored, and the events replayed in full, when its generated fingerprint (the state schema, and the event versions and upcast steps above) differs from the current one, or when it was taken under another state version. Bump \`stateVersion\` when handler logic changes, which the YAML cannot show.`,
  );
  return `${parts.join('\n\n')}\n`;
}

function eventSection(model: DomainModel, event: EventNode): string[] {
  const readers = model.projections.filter((p) => p.handlers.some((h) => h.event === event.name));
  const facts = [`Current version: ${event.version}.`];
  if (event.renamedFrom.length > 0) facts.push(`Stored events named ${event.renamedFrom.map(code).join(', ')} are read as this event.`);
  if (event.retired) facts.push('Retired: no command raises it any more; stored events of it are still read.');
  facts.push(readers.length === 0 ? 'No projection reads it.' : `Read by: ${readers.map((p) => `${p.name} (${code(p.table)})`).join(', ')}.`);
  const reactions = model.reactions.filter((r) => r.event === event.name);
  if (reactions.length > 0) {
    const what = (r: ReactionNode) => (r.kind === 'CustomReactionNode' ? 'custom' : `runs ${r.aggregate}.${r.command}`);
    facts.push(`Reactions: ${reactions.map((r) => `[${r.name}](../README.md#${anchor(r.name)}) (${what(r)})`).join(', ')}.`);
  }
  const out = [`### ${event.name}`];
  if (event.description) out.push(event.description);
  out.push(facts.join(' '));
  if (event.history.length > 0) out.push(mermaid(versionDiagram(event)));
  out.push(`#### ${event.name} v${event.version} (current)`, event.fields.length === 0 ? 'No fields.' : fieldTable(event.fields));
  for (const old of [...event.history].reverse()) {
    out.push(`#### ${event.name} v${old.version}`);
    if (old.description) out.push(old.description);
    out.push(old.fields.length === 0 ? 'No fields.' : fieldTable(old.fields));
    if (old.upcast.kind === 'CustomUpcastNode') out.push(`Upcast to v${old.version + 1}: a custom upcaster (hand-written).`);
    else if (old.upcast.steps.length === 0) out.push(`Upcast to v${old.version + 1}: none needed; stored data is read as it is.`);
    else out.push(`Upcast to v${old.version + 1}:`, old.upcast.steps.map((s, i) => `${i + 1}. ${stepText(s)}`).join('\n'));
  }
  return out;
}

export function fieldTable(fields: readonly FieldNode[]): string {
  return table(
    ['Field', 'Type', 'Required', 'Default', 'Description'],
    fields.map((f) => [f.name, code(typeText(f.type)), f.optional || f.default !== undefined ? 'no' : 'yes', valueText(f.default), f.description ?? '']),
  );
}

/** A fenced Mermaid block. */
export function mermaid(diagram: string): string {
  return `\`\`\`mermaid\n${diagram}\n\`\`\``;
}
