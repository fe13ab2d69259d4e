import type { DomainModel, EventNode } from '@eventsmith/schema';
import { stepText } from './markdown.js';

/**
 * Mermaid flowcharts. Node ids are built from identifiers the loader validated, prefixed by kind
 * so a command, an event and a table of the same name stay apart; every label is quoted, with `"`
 * written as Mermaid's `#quot;`.
 */

/**
 * command → event → projection table, and event → reaction → command, for the aggregates named (all
 * of the domain by default). A reaction between a shown aggregate and another one brings the other
 * end along (its event, or its command outside any aggregate box).
 */
export function flowDiagram(model: DomainModel, aggregates: readonly string[] = model.aggregates.map((a) => a.name)): string {
  const lines = ['flowchart LR'];
  const edges: string[] = [];
  const shown = new Set(aggregates);
  const events = model.events.filter((e) => shown.has(e.aggregate));
  for (const aggregate of model.aggregates.filter((a) => shown.has(a.name))) {
    lines.push(`  subgraph ${id('agg', aggregate.name)}[${label(aggregate.name)}]`);
    for (const command of aggregate.commands) {
      lines.push(`    ${id('cmd', `${aggregate.name}_${command.name}`)}[${label(`${command.name}()`)}]`);
      for (const event of command.emits) edges.push(`  ${id('cmd', `${aggregate.name}_${command.name}`)} --> ${id('evt', event)}`);
    }
    lines.push('  end');
  }
  for (const event of events) lines.push(`  ${id('evt', event.name)}([${label(`${event.name} v${event.version}`)}])`);
  const tables = new Map<string, string>();
  for (const projection of model.projections) {
    for (const handler of projection.handlers) {
      if (!events.some((e) => e.name === handler.event)) continue;
      tables.set(projection.name, projection.table);
      edges.push(`  ${id('evt', handler.event)} --> ${id('tbl', projection.name)}`);
    }
  }
  for (const [projection, tableName] of [...tables].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    lines.push(`  ${id('tbl', projection)}[(${label(`${projection}: ${tableName}`)})]`);
  }
  const outside = new Set<string>(); // nodes of other aggregates' events and commands, declared once
  const declareOutside = (node: string, text: string) => {
    if (!outside.has(node)) lines.push(`  ${text}`);
    outside.add(node);
  };
  for (const reaction of model.reactions) {
    const declarative = reaction.kind === 'DeclarativeReactionNode';
    const triggerShown = events.some((e) => e.name === reaction.event);
    if (!triggerShown && !(declarative && shown.has(reaction.aggregate))) continue;
    if (!triggerShown) {
      const trigger = model.events.find((e) => e.name === reaction.event)!;
      const node = id('evt', trigger.name);
      declareOutside(node, `${node}([${label(`${trigger.aggregate}.${trigger.name} v${trigger.version}`)}])`);
    }
    const node = id('rct', reaction.name);
    lines.push(`  ${node}{{${label(declarative ? reaction.name : `${reaction.name} (custom)`)}}}`);
    edges.push(`  ${id('evt', reaction.event)} --> ${node}`);
    if (!declarative) continue;
    const command = id('cmd', `${reaction.aggregate}_${reaction.command}`);
    if (!shown.has(reaction.aggregate)) declareOutside(command, `${command}[${label(`${reaction.aggregate}.${reaction.command}()`)}]`);
    const each = reaction.forEach ? `|${label(`for each item of data.${reaction.forEach.path.join('.')}`)}|` : '';
    edges.push(`  ${node} -->${each} ${command}`);
  }
  return [...lines, ...edges].join('\n');
}

/** v1 → v2 → … with the upcast steps on each arrow. */
export function versionDiagram(event: EventNode): string {
  const lines = ['flowchart LR'];
  for (let version = 1; version <= event.version; version++) lines.push(`  v${version}[${label(`${event.name} v${version}`)}]`);
  for (const old of event.history) {
    const steps = old.upcast.kind === 'CustomUpcastNode' ? 'custom upcaster' : old.upcast.steps.length === 0 ? 'no change to stored data' : old.upcast.steps.map(stepText).join('; ');
    lines.push(`  v${old.version} -->|${label(steps)}| v${old.version + 1}`);
  }
  return lines.join('\n');
}

function id(kind: string, name: string): string {
  return `${kind}_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

function label(text: string): string {
  return `"${text.replace(/"/g, '#quot;')}"`;
}
