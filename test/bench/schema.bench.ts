/**
 * Loader throughput: parse + JSON Schema + semantic checks of a large domain (100 aggregates,
 * 1,000 events, 100 projections, one file per aggregate), cold and warm, plus re-loading after
 * one file changed (what `generate --watch` does on save).
 */
import { loadDomain, type DomainSourceFile } from '@eventsmith/schema';
import { median, table, time } from './harness.js';

/** A large, valid domain as YAML files: `aggregates` files, each with 10 events and one projection. */
export function largeDomain(aggregates = 100, eventsPerAggregate = 10): DomainSourceFile[] {
  const files: DomainSourceFile[] = [
    {
      path: 'types.yaml',
      text: 'domain: Large\ntypes:\n  Currency: { enum: [EUR, USD, GBP] }\n  Money:\n    fields: { amount: decimal, currency: Currency }\n',
    },
  ];
  for (let a = 0; a < aggregates; a++) {
    const lines = [
      'domain: Large',
      'aggregates:',
      `  Agg${a}:`,
      '    snapshot: { every: 50 }',
      '    state:',
      '      total: decimal',
      '      count: integer',
      '    commands:',
    ];
    lines.push('      act:', '        params: { amount: decimal, note: string? }', `        emits: [Agg${a}Event0]`);
    lines.push('    events:');
    for (let e = 0; e < eventsPerAggregate; e++) {
      lines.push(`      Agg${a}Event${e}:`, `        description: Event ${e} of aggregate ${a}.`);
      if (e % 3 === 0) {
        lines.push(
          '        version: 2',
          '        history:',
          '          1:',
          '            fields: { amount: number, note: string?, price: Money, tags: list<string>, at: datetime }',
          '            upcast:',
          '              - convert: { field: amount, using: numberToDecimal }',
          '              - addField: { field: currency, default: EUR }',
        );
      }
      lines.push(
        '        fields:',
        '          amount: decimal',
        '          note: string?',
        '          price: Money',
        '          tags: list<string>',
        '          at: datetime',
      );
      if (e % 3 === 0) lines.push('          currency: Currency');
    }
    lines.push(
      'projections:',
      `  View${a}:`,
      `    table: view_${a}`,
      '    columns:',
      '      id: string',
      '      amount: { type: decimal, default: "0" }',
      '      note: text?',
      '      updated_at: datetime',
      '    primaryKey: id',
      '    indexes: [[updated_at]]',
      '    on:',
    );
    lines.push(
      `      Agg${a}Event1: { insert: { id: meta.aggregateId, amount: data.amount, note: data.note, updated_at: data.at } }`,
    );
    lines.push(
      `      Agg${a}Event2: { update: { where: { id: meta.aggregateId }, set: { amount: { increment: data.amount }, updated_at: meta.occurredAt } } }`,
    );
    lines.push(`      Agg${a}Event4: { delete: { where: { id: meta.aggregateId } } }`, `      Agg${a}Event5: custom`);
    files.push({ path: `agg-${a}.yaml`, text: `${lines.join('\n')}\n` });
  }
  return files;
}

export default async function bench(): Promise<void> {
  const files = largeDomain();
  const bytes = files.reduce((n, f) => n + f.text.length, 0);
  const cold = await time(async () => loadDomain(files));
  if (!cold.result.ok) throw new Error(`the large domain is invalid: ${cold.result.errors[0]?.message}`);
  const warm: number[] = [];
  for (let i = 0; i < 10; i++) warm.push((await time(async () => loadDomain(files))).ms);
  const edited: number[] = [];
  for (let i = 0; i < 10; i++) {
    const changed = files.map((f, j) =>
      j === 1 + i ? { ...f, text: f.text.replace('description: Event 0', `description: Edited ${i}`) } : f,
    );
    edited.push((await time(async () => loadDomain(changed))).ms);
  }
  const model = cold.result.value;
  table([
    { case: 'cold load (first call, compiles the JSON Schema)', ms: cold.ms.toFixed(0) },
    { case: 'warm load, median of 10', ms: median(warm).toFixed(0) },
    { case: 'load after editing one file, median of 10', ms: median(edited).toFixed(0) },
  ]);
  console.log(
    `\n${files.length} files, ${(bytes / 1024).toFixed(0)} KiB of YAML → ${model.aggregates.length} aggregates, ${model.events.length} events, ${model.projections.length} projections`,
  );
}
