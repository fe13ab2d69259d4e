import type { FieldType, JsonValue, SourceLocation, UpcastStep } from '@eventsmith/schema';
import { kebabCase } from '../common/naming.js';

/** A Markdown table; cells are escaped so a `|` or a line break cannot end a cell. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ') || ' ';
}

/** `` `code` `` that survives backticks in the text. */
export function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** A field type as written in YAML: `decimal`, `list<OrderLine>`, `enum(A, B)`, `{ street: string }`. */
export function typeText(type: FieldType): string {
  switch (type.kind) {
    case 'ScalarType':
      return type.name;
    case 'EnumType':
      return `enum(${type.values.join(', ')})`;
    case 'ListType':
      return `list<${typeText(type.items)}>`;
    case 'ObjectType':
      return `{ ${type.fields.map((f) => `${f.name}${f.optional ? '?' : ''}: ${typeText(f.type)}`).join(', ')} }`;
    case 'RefType':
      return type.name;
  }
}

/** A YAML literal in JSON notation. */
export function valueText(value: JsonValue | undefined): string {
  return value === undefined ? '' : JSON.stringify(value);
}

/** `bank.yaml:12`, the place a reader opens. */
export function where(source: SourceLocation): string {
  return `${source.file}:${source.line}`;
}

/** The anchor GitHub and most renderers give a heading. */
export function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, '')
    .replace(/ /g, '-');
}

/** The page of an aggregate, relative to the docs folder. */
export function aggregatePage(aggregate: string): string {
  return `aggregates/${kebabCase(aggregate)}.md`;
}

/** One upcast step in words. */
export function stepText(step: UpcastStep): string {
  switch (step.kind) {
    case 'AddFieldStep':
      return step.value.kind === 'LiteralExpr' ? `add ${step.field} = ${JSON.stringify(step.value.value)}` : `add ${step.field} from meta.${step.value.key}`;
    case 'RenameFieldStep':
      return `rename ${step.from} to ${step.to}`;
    case 'DropFieldStep':
      return `drop ${step.field}`;
    case 'ConvertStep':
      return `convert ${step.field} with ${step.conversion}`;
    case 'NestStep':
      return `nest ${step.fields.join(', ')} into ${step.into}`;
    case 'FlattenStep':
      return `flatten ${step.field}${step.prefix ? ` with prefix ${step.prefix}` : ''}`;
  }
}
