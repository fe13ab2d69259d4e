import fc from 'fast-check';

const SCALARS = ['string', 'integer', 'number', 'decimal', 'boolean', 'uuid', 'datetime', 'date'] as const;
type Scalar = (typeof SCALARS)[number];
const FIELD_TYPES = [...SCALARS, 'Kind', 'Money', 'list<string>', 'list<Money>'] as const;
type FieldTypeName = (typeof FIELD_TYPES)[number];

const COLUMN_FOR: Record<Scalar, string> = {
  string: 'text',
  integer: 'bigint',
  number: 'number',
  decimal: 'decimal',
  boolean: 'boolean',
  uuid: 'uuid',
  datetime: 'datetime',
  date: 'date',
};
const NAMES = [
  'Alpha',
  'Beta',
  'Gamma',
  'Delta',
  'Epsilon',
  'Zeta',
  'Eta',
  'Theta',
  'Iota',
  'Kappa',
  'Lambda',
  'Omicron',
];
const FIELD_NAMES = ['amount', 'note', 'count', 'label', 'flag', 'ref', 'at', 'day', 'size', 'ratio'];
const STEP_KINDS = ['none', 'drop', 'rename', 'add', 'convert', 'custom'] as const;

interface FieldSpec {
  readonly name: string;
  readonly type: FieldTypeName;
  readonly optional: boolean;
}

/** A literal of each field type, for `addField` defaults. */
function sampleValue(type: FieldTypeName, kind: string): unknown {
  switch (type) {
    case 'string':
      return 'x';
    case 'integer':
      return 0;
    case 'number':
      return 0.5;
    case 'decimal':
      return '0';
    case 'boolean':
      return false;
    case 'uuid':
      return '00000000-0000-4000-8000-000000000000';
    case 'datetime':
      return '2024-01-01T00:00:00Z';
    case 'date':
      return '2024-01-01';
    case 'Kind':
      return kind;
    case 'Money':
      return { amount: '1.50', currency: kind };
    default:
      return [];
  }
}

/** The older version of an event and the step that lifts it, for one kind of change. */
function history(
  fields: readonly FieldSpec[],
  kind: (typeof STEP_KINDS)[number],
  enumValue: string,
): Record<string, unknown> | undefined {
  const shape = (list: readonly FieldSpec[]) =>
    Object.fromEntries(list.map((f) => [f.name, `${f.type}${f.optional ? '?' : ''}`]));
  const required = fields.filter((f) => !f.optional);
  const first = required[0];
  switch (kind) {
    case 'none':
      return undefined;
    case 'custom':
      return { 1: { fields: { legacy: 'string', other: 'integer?' }, upcast: 'custom' } };
    case 'rename':
      if (!first) return undefined;
      return {
        1: {
          fields: shape(fields.map((f) => (f === first ? { ...f, name: `old_${f.name}` } : f))),
          upcast: [{ renameField: { from: `old_${first.name}`, to: first.name } }],
        },
      };
    case 'add':
      if (!first) return undefined;
      return {
        1: {
          fields: shape(fields.filter((f) => f !== first)),
          upcast: [{ addField: { field: first.name, default: sampleValue(first.type, enumValue) } }],
        },
      };
    case 'convert': {
      const decimal = required.find((f) => f.type === 'decimal');
      if (!decimal) return undefined;
      return {
        1: {
          fields: shape(fields.map((f) => (f === decimal ? { ...f, type: 'number' as const } : f))),
          upcast: [{ convert: { field: decimal.name, using: 'numberToDecimal' } }],
        },
      };
    }
    case 'drop':
      return { 1: { fields: { ...shape(fields), legacyField: 'string' }, upcast: [{ dropField: 'legacyField' }] } };
  }
}

/**
 * A random domain document (a plain object; `yaml.stringify` it) that the loader must accept:
 * an enum and a value object; one aggregate with state and commands; 1–3 events with scalar,
 * enum, value-object and list fields, some at version 2 with a declarative (drop, rename, add,
 * convert) or `custom` upcast; and a projection with insert or upsert, update, delete and
 * `custom` handlers. The generator's tests can use it to check that every valid domain compiles.
 */
export const validDomain = fc
  .record({
    enumValues: fc.uniqueArray(fc.constantFrom('A', 'B', 'C', 'D'), { minLength: 1 }),
    names: fc.shuffledSubarray(NAMES, { minLength: 5, maxLength: 5 }),
    upsert: fc.boolean(),
    lastHandler: fc.constantFrom('delete', 'custom'),
    events: fc.array(
      fc.record({
        fields: fc.uniqueArray(
          fc.record({
            name: fc.constantFrom(...FIELD_NAMES),
            type: fc.constantFrom(...FIELD_TYPES),
            optional: fc.boolean(),
          }),
          { selector: (f) => f.name, maxLength: 6 },
        ),
        step: fc.constantFrom(...STEP_KINDS),
        snapshot: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  })
  .map(({ enumValues, names, upsert, lastHandler, events }) => {
    const [aggregateName, projectionName, ...eventNames] = names as [string, string, ...string[]];
    const kind = enumValues[0]!;
    const aggregateEvents: Record<string, unknown> = {};
    events.forEach((e, i) => {
      const event: Record<string, unknown> = {
        fields: Object.fromEntries(e.fields.map((f) => [f.name, `${f.type}${f.optional ? '?' : ''}`])),
      };
      const older = history(e.fields, e.step, kind);
      if (older) Object.assign(event, { version: 2, history: older });
      aggregateEvents[eventNames[i]!] = event;
    });

    const first = events[0]!;
    const scalarFields = first.fields.filter((f): f is FieldSpec & { type: Scalar } =>
      (SCALARS as readonly string[]).includes(f.type),
    );
    const columns: Record<string, unknown> = {
      row_id: 'string',
      touched_at: 'datetime?',
      hits: { type: 'integer', default: 0 },
    };
    const values: Record<string, unknown> = { row_id: 'meta.aggregateId' };
    for (const f of scalarFields) {
      columns[`c_${f.name}`] = `${COLUMN_FOR[f.type]}${f.optional ? '?' : ''}`;
      values[`c_${f.name}`] = `data.${f.name}`;
    }
    if (upsert) values.hits = { increment: 1 };
    const on: Record<string, unknown> = { [eventNames[0]!]: upsert ? { upsert: values } : { insert: values } };
    if (events.length > 1)
      on[eventNames[1]!] = {
        update: {
          where: { row_id: 'meta.aggregateId' },
          set: { touched_at: 'meta.occurredAt', hits: { increment: 1 } },
        },
      };
    if (events.length > 2)
      on[eventNames[2]!] = lastHandler === 'custom' ? 'custom' : { delete: { where: { row_id: 'meta.aggregateId' } } };

    return {
      domain: 'Random',
      types: { Kind: { enum: enumValues }, Money: { fields: { amount: 'decimal', currency: 'Kind' } } },
      aggregates: {
        [aggregateName]: {
          ...(first.snapshot ? { snapshot: { every: first.snapshot } } : {}),
          state: { total: 'decimal', kind: { type: 'Kind', initial: kind }, last: 'Money?', tags: 'list<string>' },
          commands: {
            doIt: { params: { amount: 'decimal', note: 'string?' }, emits: [eventNames[0]] },
            ...(events.length > 1 ? { doMore: { emits: eventNames.slice(0, events.length) } } : {}),
          },
          events: aggregateEvents,
        },
      },
      projections: { [projectionName]: { columns, primaryKey: 'row_id', indexes: [['touched_at']], on } },
    };
  });
