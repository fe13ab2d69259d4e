import type { AggregateNode, EventNode } from '@eventsmith/schema';
import { DomainIndex } from '../common/domain-index.js';
import { jsonObjectType, zodObject, type TypeContext } from '../common/field-types.js';
import { GeneratedFile } from '../common/generated-file.js';
import type { Layout } from '../common/layout.js';
import { eventNames } from '../common/names.js';
import { docComment, quote } from '../common/naming.js';

/**
 * `events/<aggregate>.ts`: for each event of the aggregate, its zod schema, payload types, one
 * stored-JSON type per version (historical and current) and the event class.
 */
export function emitAggregateEvents(index: DomainIndex, layout: Layout, aggregate: AggregateNode): GeneratedFile {
  const events = index.eventsOf(aggregate);
  const file = GeneratedFile.generated(layout.eventsOf(aggregate.name), DomainIndex.sourcesOf(aggregate, ...events));
  const ctx: TypeContext = { file, layout, index };
  for (const event of events) file.print(eventBlock(ctx, event));
  return file;
}

function eventBlock(ctx: TypeContext, event: EventNode): string {
  const { file } = ctx;
  const z = file.import('z', '@eventsmith/runtime');
  const defineEvent = file.import('defineEvent', '@eventsmith/runtime');
  const n = eventNames(event);
  const parts: string[] = [];
  parts.push(
    `/** The payload schema of ${event.name} v${event.version}. */\nexport const ${n.schema} = ${zodObject(ctx, event.fields)};`,
  );
  parts.push(
    `/** The payload of ${event.name} as handlers see it (dates as \`Date\`). */\nexport type ${n.data} = ${z}.output<typeof ${n.schema}>;`,
  );
  parts.push(
    `/** What \`new ${event.name}(…)\` accepts (fields with defaults may be left out). */\nexport type ${n.input} = ${z}.input<typeof ${n.schema}>;`,
  );
  for (const old of event.history) {
    parts.push(
      `${docComment(`The stored JSON payload of ${event.name} v${old.version}.${withDescription(old)}`)}export type ${n.version(old.version)} = ${jsonObjectType(ctx, old.fields)};`,
    );
  }
  parts.push(
    `/** The stored JSON payload of ${event.name} v${event.version} (current). */\nexport type ${n.version(event.version)} = ${jsonObjectType(ctx, event.fields)};`,
  );
  const renamed =
    event.renamedFrom.length > 0
      ? `Stored under the old name${event.renamedFrom.length > 1 ? 's' : ''} ${event.renamedFrom.join(', ')} too.`
      : undefined;
  parts.push(
    `${docComment([event.description, renamed].filter((t) => t !== undefined).join('\n\n'))}` +
      `export class ${n.cls} extends ${defineEvent}({\n  type: ${quote(event.name)},\n  version: ${event.version},\n  aggregateType: ${quote(event.aggregate)},\n  schema: ${n.schema},\n}) {}`,
  );
  return parts.join('\n\n');
}

function withDescription(node: { readonly description?: string }): string {
  return 'description' in node && typeof node.description === 'string' ? ` ${node.description}` : '';
}
