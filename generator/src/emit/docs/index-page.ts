import type { DomainModel } from '@eventsmith/schema';
import { fieldTable, mermaid } from './aggregate-page.js';
import { aggregatePage, anchor, code, table } from './markdown.js';
import { flowDiagram } from './mermaid.js';

/** The domain's front page: aggregates, the whole flow, every event and who reads it, projections. */
export function indexPageText(model: DomainModel): string {
  const parts: string[] = [`# ${model.name} domain`];
  if (model.description) parts.push(model.description);
  parts.push(`Declared in ${model.sources.map((s) => s.path).sort().map(code).join(', ')}. The bus channel and message payloads are described in [asyncapi.json](asyncapi.json) (AsyncAPI 3).`);
  parts.push('## Aggregates', model.aggregates.map((a) => `- [${a.name}](${aggregatePage(a.name)})${a.description ? `: ${a.description}` : ''}`).join('\n'));
  parts.push('## Flow', mermaid(flowDiagram(model)));
  parts.push(
    '## Events',
    table(
      ['Event', 'Aggregate', 'Versions', 'Read by'],
      model.events.map((e) => {
        const readers = model.projections.filter((p) => p.handlers.some((h) => h.event === e.name)).map((p) => p.name);
        return [`[${e.name}](${aggregatePage(e.aggregate)}#${anchor(e.name)})`, e.aggregate, versions(e.version) + (e.retired ? ' (retired)' : ''), readers.join(', ') || '—'];
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

function versions(current: number): string {
  return current === 1 ? 'v1' : `v1–v${current}`;
}
