import type { DomainModel, ReactionExpr, ReactionNode } from '@eventsmith/schema';
import { fieldTable, mermaid } from './aggregate-page.js';
import { aggregatePage, anchor, code, table } from './markdown.js';
import { flowDiagram } from './mermaid.js';

/** The domain's front page: aggregates, the whole flow, every event and who reads it, projections, reactions. */
export function indexPageText(model: DomainModel): string {
  const parts: string[] = [`# ${model.name} domain`];
  if (model.description) parts.push(model.description);
  parts.push(`Declared in ${model.sources.map((s) => s.path).sort().map(code).join(', ')}. The bus channel and message payloads are described in [asyncapi.json](asyncapi.json) (AsyncAPI 3).`);
  parts.push('## Aggregates', model.aggregates.map((a) => `- [${a.name}](${aggregatePage(a.name)})${a.description ? `: ${a.description}` : ''}`).join('\n'));
  parts.push('## Flow', mermaid(flowDiagram(model)));
  parts.push(
    '## Events',
    table(
      ['Event', 'Aggregate', 'Versions', 'Read by', 'Reactions'],
      model.events.map((e) => {
        const readers = model.projections.filter((p) => p.handlers.some((h) => h.event === e.name)).map((p) => p.name);
        const reactions = model.reactions.filter((r) => r.event === e.name).map((r) => `[${r.name}](#${anchor(r.name)})`);
        return [`[${e.name}](${aggregatePage(e.aggregate)}#${anchor(e.name)})`, e.aggregate, versions(e.version) + (e.retired ? ' (retired)' : ''), readers.join(', ') || '—', reactions.join(', ') || '—'];
      }),
    ),
  );
  parts.push('## Projections');
  if (model.projections.length === 0) parts.push('None.');
  else {
    parts.push(
      table(
        ['Projection', 'Table', 'Reads', 'Description'],
        model.projections.map((p) => [p.name, code(p.table), p.handlers.map((h) => h.event).join(', '), p.description ?? '']),
      ),
    );
  }
  parts.push('## Reactions');
  if (model.reactions.length === 0) parts.push('None.');
  for (const reaction of model.reactions) parts.push(`### ${reaction.name}`, ...reactionText(model, reaction));
  if (model.types.length > 0) {
    parts.push('## Types');
    for (const type of model.types) {
      parts.push(`### ${type.name}`);
      if (type.description) parts.push(type.description);
      if (type.kind === 'EnumNode') parts.push(`One of: ${type.values.map(code).join(', ')}.`);
      else parts.push(type.fields.length === 0 ? 'No fields.' : fieldTable(type.fields));
    }
  }
  return `${parts.join('\n\n')}\n`;
}

/** A reaction: its description, then when it runs and what it does. */
function reactionText(model: DomainModel, reaction: ReactionNode): string[] {
  const event = model.events.find((e) => e.name === reaction.event)!;
  const when = `When [${event.aggregate}.${event.name}](${aggregatePage(event.aggregate)}#${anchor(event.name)}) is stored`;
  let what: string;
  if (reaction.kind === 'CustomReactionNode') {
    what = `${when}, runs a hand-written handler (\`run: custom\`).`;
  } else {
    const command = `[${reaction.aggregate}.${reaction.command}](${aggregatePage(reaction.aggregate)}#${anchor(reaction.command)})`;
    const each = reaction.forEach ? `, for each item of ${code(`data.${reaction.forEach.path.join('.')}`)}` : '';
    const params = reaction.params.length === 0 ? '' : ` with ${reaction.params.map((p) => code(`${p.name}: ${exprText(p.value)}`)).join(', ')}`;
    what = `${when}${each}, runs ${command} on ${code(exprText(reaction.target))}${params}.`;
  }
  return [...(reaction.description ? [reaction.description] : []), what];
}

/** A reaction expression as the YAML writes it. */
function exprText(expr: ReactionExpr): string {
  switch (expr.kind) {
    case 'EventFieldExpr':
      return `data.${expr.path.join('.')}`;
    case 'ItemExpr':
      return ['item', ...expr.path].join('.');
    case 'MetadataExpr':
      return `meta.${expr.key}`;
    case 'LiteralExpr':
      return JSON.stringify(expr.value);
  }
}

function versions(current: number): string {
  return current === 1 ? 'v1' : `v1–v${current}`;
}
