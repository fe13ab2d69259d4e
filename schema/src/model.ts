/**
 * The eventsmith domain model: what the loader produces from domain YAML and what every emitter
 * reads. It is immutable and discriminated, like Kysely's operation nodes: each node has a
 * `readonly kind`, is created by a frozen factory (`FieldNode.create({...})`) and is narrowed
 * with `FieldNode.is(node)` or a `switch (node.kind)`.
 *
 * Every node that comes from YAML carries its {@link SourceLocation}, so later stages (the
 * generator) can report problems at the line that caused them.
 *
 * Ordering: `types`, `aggregates`, `events` and `projections` are sorted by name (plain `<`);
 * fields, commands, steps, columns and handlers keep their declaration order.
 *
 * @example
 * ```ts
 * import { loadDomain, type DomainModel } from '@eventsmith/schema';
 *
 * const result = loadDomain([{ path: 'bank.yaml', text }]);
 * if (result.ok) {
 *   for (const event of result.value.events) console.log(event.name, event.version);
 * }
 * ```
 */

// ---------------------------------------------------------------------------------------------
// Shared leaves
// ---------------------------------------------------------------------------------------------

/** A JSON value as written in YAML (defaults, initial values, literals). */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Where a node was declared: 1-based line and column, and the YAML path (`aggregates.BankAccount.state.balance`). */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
}

/** Built-in scalar field types. `decimal` is exact (a string at runtime); `date` is `YYYY-MM-DD`. */
export const SCALAR_TYPES = ['string', 'integer', 'number', 'decimal', 'boolean', 'uuid', 'datetime', 'date'] as const;
export type ScalarTypeName = (typeof SCALAR_TYPES)[number];

/** Envelope fields an upcaster step or a projection expression may read (names of `EventRecord`). */
export const METADATA_KEYS = [
  'eventId',
  'eventType',
  'eventVersion',
  'aggregateId',
  'aggregateType',
  'aggregateVersion',
  'occurredAt',
  'tenantId',
  'actorId',
  'correlationId',
  'causationId',
] as const;
export type MetadataKey = (typeof METADATA_KEYS)[number];

/** The field type each metadata key has, and whether it may be absent (null). */
export const METADATA_TYPES: {
  readonly [K in MetadataKey]: { readonly type: ScalarTypeName; readonly nullable: boolean };
} = Object.freeze({
  eventId: { type: 'uuid', nullable: false },
  eventType: { type: 'string', nullable: false },
  eventVersion: { type: 'integer', nullable: false },
  aggregateId: { type: 'string', nullable: false },
  aggregateType: { type: 'string', nullable: false },
  aggregateVersion: { type: 'integer', nullable: false },
  occurredAt: { type: 'datetime', nullable: false },
  tenantId: { type: 'string', nullable: true },
  actorId: { type: 'string', nullable: true },
  correlationId: { type: 'string', nullable: false },
  causationId: { type: 'string', nullable: true },
});

/**
 * Named built-in conversions for the `convert` upcast step. `from`/`to` are the field's scalar
 * type before and after; the loader checks them against the two versions' field types.
 */
export const CONVERSIONS = Object.freeze({
  numberToDecimal: {
    from: 'number',
    to: 'decimal',
    description: 'A float such as 10.5 becomes the decimal string "10.5".',
  },
  integerToDecimal: { from: 'integer', to: 'decimal', description: '42 becomes "42".' },
  stringToDecimal: {
    from: 'string',
    to: 'decimal',
    description: 'A numeric string such as " 10.50 " is trimmed and checked.',
  },
  centsToDecimal: { from: 'integer', to: 'decimal', description: 'Minor units to major: 1050 becomes "10.50".' },
  decimalToCents: { from: 'decimal', to: 'integer', description: 'Major units to minor: "10.50" becomes 1050.' },
  stringToInteger: { from: 'string', to: 'integer', description: '"42" becomes 42.' },
  integerToString: { from: 'integer', to: 'string', description: '42 becomes "42".' },
  numberToString: { from: 'number', to: 'string', description: '10.5 becomes "10.5".' },
  stringToNumber: { from: 'string', to: 'number', description: '"10.5" becomes 10.5.' },
  integerToNumber: { from: 'integer', to: 'number', description: 'No change in JSON; widens the type.' },
  numberToInteger: { from: 'number', to: 'integer', description: 'Rounds half away from zero.' },
  stringToBoolean: { from: 'string', to: 'boolean', description: '"true"/"yes"/"1" become true, anything else false.' },
  dateToDatetime: { from: 'date', to: 'datetime', description: '"2024-01-31" becomes "2024-01-31T00:00:00.000Z".' },
  datetimeToDate: { from: 'datetime', to: 'date', description: 'Keeps the UTC calendar date.' },
  epochMillisToDatetime: { from: 'integer', to: 'datetime', description: 'Milliseconds since 1970 to ISO-8601 UTC.' },
  epochSecondsToDatetime: { from: 'integer', to: 'datetime', description: 'Seconds since 1970 to ISO-8601 UTC.' },
  stringToUuid: { from: 'string', to: 'uuid', description: 'Lower-cases and checks the UUID.' },
} as const satisfies Record<string, { from: ScalarTypeName; to: ScalarTypeName; description: string }>);
export type ConversionName = keyof typeof CONVERSIONS;

/** SQL column types of projection tables (mapped per dialect by the emitter). */
export const COLUMN_TYPES = [
  'string',
  'text',
  'integer',
  'bigint',
  'number',
  'decimal',
  'boolean',
  'uuid',
  'datetime',
  'date',
  'json',
] as const;
export type ColumnTypeName = (typeof COLUMN_TYPES)[number];

// ---------------------------------------------------------------------------------------------
// Node factory machinery
// ---------------------------------------------------------------------------------------------

interface Node {
  readonly kind: string;
}

/** The frozen factory/guard pair each node kind exports, e.g. `FieldNode.create(...)`. */
export interface NodeFactory<T extends Node> {
  readonly kind: T['kind'];
  /** True when `node` is of this kind. */
  is(node: unknown): node is T;
  /** Creates a frozen node; arrays in `props` are frozen too. */
  create(props: Omit<T, 'kind'>): T;
}

function defineNode<T extends Node>(kind: T['kind']): NodeFactory<T> {
  return Object.freeze({
    kind,
    is: (node: unknown): node is T =>
      typeof node === 'object' && node !== null && (node as { kind?: unknown }).kind === kind,
    create: (props: Omit<T, 'kind'>): T => {
      const out: Record<string, unknown> = { kind };
      for (const [key, value] of Object.entries(props)) {
        if (value === undefined) continue;
        out[key] = Array.isArray(value) ? Object.freeze([...value]) : value;
      }
      return Object.freeze(out) as unknown as T;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Field types
// ---------------------------------------------------------------------------------------------

/** `string`, `decimal`, `datetime`, … */
export interface ScalarType {
  readonly kind: 'ScalarType';
  readonly name: ScalarTypeName;
}
export const ScalarType = defineNode<ScalarType>('ScalarType');

/** An inline enum (`{ type: enum, values: [A, B] }`). Named enums are {@link RefType}s to an {@link EnumNode}. */
export interface EnumType {
  readonly kind: 'EnumType';
  readonly values: readonly string[];
}
export const EnumType = defineNode<EnumType>('EnumType');

/** `list<T>`. */
export interface ListType {
  readonly kind: 'ListType';
  readonly items: FieldType;
}
export const ListType = defineNode<ListType>('ListType');

/** An inline nested object (`{ type: object, fields: {...} }`). */
export interface ObjectType {
  readonly kind: 'ObjectType';
  readonly fields: readonly FieldNode[];
}
export const ObjectType = defineNode<ObjectType>('ObjectType');

/** A reference to a named type in `types:` (a {@link ValueObjectNode} or an {@link EnumNode}); always resolvable after loading. */
export interface RefType {
  readonly kind: 'RefType';
  readonly name: string;
}
export const RefType = defineNode<RefType>('RefType');

export type FieldType = ScalarType | EnumType | ListType | ObjectType | RefType;

/** A field of an event, a value object, an inline object or a command's parameter list. */
export interface FieldNode {
  readonly kind: 'FieldNode';
  readonly name: string;
  readonly type: FieldType;
  /** Written `type?` or `optional: true`: the value may be absent. */
  readonly optional: boolean;
  /** Used when the value is absent (the field is then not required on input). */
  readonly default?: JsonValue;
  readonly description?: string;
  /**
   * Event fields only: `{ from: state.<field> }`, the value is taken from the aggregate's state
   * when the event is raised, so the generated `raise<Event>` method does not ask for it. The
   * payload still holds the field: projections, consumers and the event lock see a plain field.
   */
  readonly from?: StateRefNode;
  readonly source: SourceLocation;
}
export const FieldNode = defineNode<FieldNode>('FieldNode');

/** `state.bookId`: a field of the state of the aggregate that raises the event (its location is the `from:` value). */
export interface StateRefNode {
  readonly kind: 'StateRefNode';
  /** The state field's name. */
  readonly field: string;
  readonly source: SourceLocation;
}
export const StateRefNode = defineNode<StateRefNode>('StateRefNode');

// ---------------------------------------------------------------------------------------------
// Named types
// ---------------------------------------------------------------------------------------------

/** A shared value object from `types:`. */
export interface ValueObjectNode {
  readonly kind: 'ValueObjectNode';
  readonly name: string;
  readonly description?: string;
  readonly fields: readonly FieldNode[];
  readonly source: SourceLocation;
}
export const ValueObjectNode = defineNode<ValueObjectNode>('ValueObjectNode');

/** A shared enum from `types:`; its values are string literals. */
export interface EnumNode {
  readonly kind: 'EnumNode';
  readonly name: string;
  readonly description?: string;
  readonly values: readonly string[];
  readonly source: SourceLocation;
}
export const EnumNode = defineNode<EnumNode>('EnumNode');

export type TypeNode = ValueObjectNode | EnumNode;

// ---------------------------------------------------------------------------------------------
// Aggregates
// ---------------------------------------------------------------------------------------------

/** A field of an aggregate's state. `initial` is the value in the initial state (absent only when `optional`). */
export interface StateFieldNode {
  readonly kind: 'StateFieldNode';
  readonly name: string;
  readonly type: FieldType;
  readonly optional: boolean;
  readonly initial?: JsonValue;
  readonly description?: string;
  readonly source: SourceLocation;
}
export const StateFieldNode = defineNode<StateFieldNode>('StateFieldNode');

/** `snapshot: { every: N }`: take a snapshot after every N events. */
export interface SnapshotPolicyNode {
  readonly kind: 'SnapshotPolicyNode';
  readonly every: number;
  readonly source: SourceLocation;
}
export const SnapshotPolicyNode = defineNode<SnapshotPolicyNode>('SnapshotPolicyNode');

/** A command: a typed method stub on the aggregate skeleton. */
export interface CommandNode {
  readonly kind: 'CommandNode';
  /** A method name (camelCase by convention). */
  readonly name: string;
  readonly description?: string;
  readonly params: readonly FieldNode[];
  /** Names of events (of this aggregate) the command may raise. */
  readonly emits: readonly string[];
  readonly source: SourceLocation;
}
export const CommandNode = defineNode<CommandNode>('CommandNode');

export interface AggregateNode {
  readonly kind: 'AggregateNode';
  readonly name: string;
  readonly description?: string;
  readonly state: readonly StateFieldNode[];
  /** Names of the events this aggregate emits, in declaration order. */
  readonly events: readonly string[];
  readonly snapshot?: SnapshotPolicyNode;
  /**
   * Stored with snapshots (`stateVersion:`, default 1); a snapshot taken under another is ignored.
   * Bump it when handler logic changes, which the YAML cannot show. The state schema, event
   * versions and upcast steps are covered by the generated `snapshotFingerprint`.
   */
  readonly stateVersion: number;
  readonly commands: readonly CommandNode[];
  readonly source: SourceLocation;
}
export const AggregateNode = defineNode<AggregateNode>('AggregateNode');

// ---------------------------------------------------------------------------------------------
// Events, versions and upcast steps
// ---------------------------------------------------------------------------------------------

export interface EventNode {
  readonly kind: 'EventNode';
  readonly name: string;
  /** The aggregate that emits it. */
  readonly aggregate: string;
  /** The current schema version (>= 1). */
  readonly version: number;
  readonly description?: string;
  /** The current version's fields. */
  readonly fields: readonly FieldNode[];
  /** Older event type names whose stored events are read as this event. */
  readonly renamedFrom: readonly string[];
  /** `retired: true`: no command raises it any more; stored events of it are still read. */
  readonly retired: boolean;
  /** Versions 1 … version-1, ascending; each knows how to lift itself one version. */
  readonly history: readonly EventVersionNode[];
  readonly source: SourceLocation;
}
export const EventNode = defineNode<EventNode>('EventNode');

/** An older version of an event and the step that lifts it to `version + 1`. */
export interface EventVersionNode {
  readonly kind: 'EventVersionNode';
  readonly version: number;
  readonly description?: string;
  readonly fields: readonly FieldNode[];
  readonly upcast: UpcastNode;
  readonly source: SourceLocation;
}
export const EventVersionNode = defineNode<EventVersionNode>('EventVersionNode');

/** Steps applied in order to the old payload. An empty list means the shapes are compatible as they are. */
export interface DeclarativeUpcastNode {
  readonly kind: 'DeclarativeUpcastNode';
  readonly steps: readonly UpcastStep[];
  readonly source: SourceLocation;
}
export const DeclarativeUpcastNode = defineNode<DeclarativeUpcastNode>('DeclarativeUpcastNode');

/** `upcast: custom`: a hand-written function from this version's payload to the next one's. */
export interface CustomUpcastNode {
  readonly kind: 'CustomUpcastNode';
  readonly source: SourceLocation;
}
export const CustomUpcastNode = defineNode<CustomUpcastNode>('CustomUpcastNode');

export type UpcastNode = DeclarativeUpcastNode | CustomUpcastNode;

/** Adds top-level `field` with a literal (`default:`) or an envelope value (`fromMetadata:`). */
export interface AddFieldStep {
  readonly kind: 'AddFieldStep';
  readonly field: string;
  readonly value: LiteralExpr | MetadataExpr;
  readonly source: SourceLocation;
}
export const AddFieldStep = defineNode<AddFieldStep>('AddFieldStep');

export interface RenameFieldStep {
  readonly kind: 'RenameFieldStep';
  readonly from: string;
  readonly to: string;
  readonly source: SourceLocation;
}
export const RenameFieldStep = defineNode<RenameFieldStep>('RenameFieldStep');

export interface DropFieldStep {
  readonly kind: 'DropFieldStep';
  readonly field: string;
  readonly source: SourceLocation;
}
export const DropFieldStep = defineNode<DropFieldStep>('DropFieldStep');

/** Converts a field's value with a named built-in conversion (see {@link CONVERSIONS}). */
export interface ConvertStep {
  readonly kind: 'ConvertStep';
  readonly field: string;
  readonly conversion: ConversionName;
  readonly source: SourceLocation;
}
export const ConvertStep = defineNode<ConvertStep>('ConvertStep');

/** Moves top-level `fields` into a new object field `into` (absent fields stay absent). */
export interface NestStep {
  readonly kind: 'NestStep';
  readonly fields: readonly string[];
  readonly into: string;
  readonly source: SourceLocation;
}
export const NestStep = defineNode<NestStep>('NestStep');

/** Replaces object field `field` by its own fields, each renamed to `prefix + name`. */
export interface FlattenStep {
  readonly kind: 'FlattenStep';
  readonly field: string;
  readonly prefix: string;
  readonly source: SourceLocation;
}
export const FlattenStep = defineNode<FlattenStep>('FlattenStep');

export type UpcastStep = AddFieldStep | RenameFieldStep | DropFieldStep | ConvertStep | NestStep | FlattenStep;

// ---------------------------------------------------------------------------------------------
// Expressions (projection handlers and addField)
// ---------------------------------------------------------------------------------------------

/** `data.amount`, `data.address.city`: a (possibly nested) field of the event payload. */
export interface EventFieldExpr {
  readonly kind: 'EventFieldExpr';
  readonly path: readonly string[];
}
export const EventFieldExpr = defineNode<EventFieldExpr>('EventFieldExpr');

/** `meta.occurredAt`: an envelope field. */
export interface MetadataExpr {
  readonly kind: 'MetadataExpr';
  readonly key: MetadataKey;
}
export const MetadataExpr = defineNode<MetadataExpr>('MetadataExpr');

/** A literal: a YAML number, boolean or null, or `{ value: ... }` for strings and anything else. */
export interface LiteralExpr {
  readonly kind: 'LiteralExpr';
  readonly value: JsonValue;
}
export const LiteralExpr = defineNode<LiteralExpr>('LiteralExpr');

export type ValueExpr = EventFieldExpr | MetadataExpr | LiteralExpr;

/** `{ increment: data.amount }`: column + by. On insert (upsert's insert branch) the column is `by`. */
export interface IncrementExpr {
  readonly kind: 'IncrementExpr';
  readonly by: ValueExpr;
}
export const IncrementExpr = defineNode<IncrementExpr>('IncrementExpr');

/** `{ decrement: data.amount }`: column − by. On insert the column is `-by`. */
export interface DecrementExpr {
  readonly kind: 'DecrementExpr';
  readonly by: ValueExpr;
}
export const DecrementExpr = defineNode<DecrementExpr>('DecrementExpr');

export type SetExpr = ValueExpr | IncrementExpr | DecrementExpr;

// ---------------------------------------------------------------------------------------------
// Projections
// ---------------------------------------------------------------------------------------------

export interface ColumnNode {
  readonly kind: 'ColumnNode';
  /** The SQL column name (validated: an identifier, not reserved). */
  readonly name: string;
  readonly type: ColumnTypeName;
  readonly nullable: boolean;
  /** The column's SQL default, a literal. */
  readonly default?: JsonValue;
  readonly description?: string;
  readonly source: SourceLocation;
}
export const ColumnNode = defineNode<ColumnNode>('ColumnNode');

export interface IndexNode {
  readonly kind: 'IndexNode';
  /** Given, or `<table>_<col>_<col>_idx` (`_uniq` when unique). */
  readonly name: string;
  readonly columns: readonly string[];
  readonly unique: boolean;
  readonly source: SourceLocation;
}
export const IndexNode = defineNode<IndexNode>('IndexNode');

/** `column: <expr>` in `insert`, `upsert` or `update.set`. */
export interface AssignmentNode {
  readonly kind: 'AssignmentNode';
  readonly column: string;
  readonly value: SetExpr;
  readonly source: SourceLocation;
}
export const AssignmentNode = defineNode<AssignmentNode>('AssignmentNode');

/** `column: <expr>` in a `where`: the column equals the value. Conditions are ANDed. */
export interface ConditionNode {
  readonly kind: 'ConditionNode';
  readonly column: string;
  readonly value: ValueExpr;
  readonly source: SourceLocation;
}
export const ConditionNode = defineNode<ConditionNode>('ConditionNode');

export interface InsertOperation {
  readonly kind: 'InsertOperation';
  readonly values: readonly AssignmentNode[];
}
export const InsertOperation = defineNode<InsertOperation>('InsertOperation');

/** Insert, or on a conflict on `conflictColumns` (the primary key) update every other assigned column. */
export interface UpsertOperation {
  readonly kind: 'UpsertOperation';
  readonly values: readonly AssignmentNode[];
  readonly conflictColumns: readonly string[];
}
export const UpsertOperation = defineNode<UpsertOperation>('UpsertOperation');

export interface UpdateOperation {
  readonly kind: 'UpdateOperation';
  readonly where: readonly ConditionNode[];
  readonly set: readonly AssignmentNode[];
}
export const UpdateOperation = defineNode<UpdateOperation>('UpdateOperation');

export interface DeleteOperation {
  readonly kind: 'DeleteOperation';
  readonly where: readonly ConditionNode[];
}
export const DeleteOperation = defineNode<DeleteOperation>('DeleteOperation');

export type ProjectionOperation = InsertOperation | UpsertOperation | UpdateOperation | DeleteOperation;

export interface DeclarativeHandlerNode {
  readonly kind: 'DeclarativeHandlerNode';
  /** The (current) event name. */
  readonly event: string;
  readonly operation: ProjectionOperation;
  readonly source: SourceLocation;
}
export const DeclarativeHandlerNode = defineNode<DeclarativeHandlerNode>('DeclarativeHandlerNode');

/** `EventName: custom`: a hand-written handler stub the user owns. */
export interface CustomHandlerNode {
  readonly kind: 'CustomHandlerNode';
  readonly event: string;
  readonly source: SourceLocation;
}
export const CustomHandlerNode = defineNode<CustomHandlerNode>('CustomHandlerNode');

export type HandlerNode = DeclarativeHandlerNode | CustomHandlerNode;

export interface ProjectionNode {
  readonly kind: 'ProjectionNode';
  readonly name: string;
  readonly description?: string;
  /** The SQL table name (`table:`, default the snake_case of the projection name). */
  readonly table: string;
  readonly columns: readonly ColumnNode[];
  readonly primaryKey: readonly string[];
  readonly indexes: readonly IndexNode[];
  readonly handlers: readonly HandlerNode[];
  readonly source: SourceLocation;
}
export const ProjectionNode = defineNode<ProjectionNode>('ProjectionNode');

// ---------------------------------------------------------------------------------------------
// Reactions
// ---------------------------------------------------------------------------------------------

/** `item`, `item.sku`: the current item of a reaction's `forEach` list (the path is empty for the item itself). */
export interface ItemExpr {
  readonly kind: 'ItemExpr';
  readonly path: readonly string[];
}
export const ItemExpr = defineNode<ItemExpr>('ItemExpr');

/** What a reaction may read: the triggering event's payload and envelope, the `forEach` item, or a literal. */
export type ReactionExpr = EventFieldExpr | MetadataExpr | LiteralExpr | ItemExpr;

/** `param: <expr>` under a reaction's `with`. */
export interface ReactionParamNode {
  readonly kind: 'ReactionParamNode';
  /** The command parameter. */
  readonly name: string;
  readonly value: ReactionExpr;
  readonly source: SourceLocation;
}
export const ReactionParamNode = defineNode<ReactionParamNode>('ReactionParamNode');

/**
 * "When `event` happens, run `aggregate.command` on the aggregate `target`, with `params`": a
 * subscription that dispatches the command, once per item of `forEach` when given. Every
 * reference is checked by the loader (the event, the command, each parameter and its type).
 */
export interface DeclarativeReactionNode {
  readonly kind: 'DeclarativeReactionNode';
  readonly name: string;
  readonly description?: string;
  /** The triggering event (its current name). */
  readonly event: string;
  /** The aggregate the command runs on. */
  readonly aggregate: string;
  readonly command: string;
  /** The id of the aggregate the command runs on. */
  readonly target: ReactionExpr;
  /** A list field of the event (`data.lines`): the command runs once per item. */
  readonly forEach?: EventFieldExpr;
  /** The command's parameters, in declaration order; left-out ones are optional or have a default. */
  readonly params: readonly ReactionParamNode[];
  readonly source: SourceLocation;
}
export const DeclarativeReactionNode = defineNode<DeclarativeReactionNode>('DeclarativeReactionNode');

/** `run: custom`: a hand-written reaction the user owns (a stub is generated once). */
export interface CustomReactionNode {
  readonly kind: 'CustomReactionNode';
  readonly name: string;
  readonly description?: string;
  /** The triggering event (its current name). */
  readonly event: string;
  readonly source: SourceLocation;
}
export const CustomReactionNode = defineNode<CustomReactionNode>('CustomReactionNode');

export type ReactionNode = DeclarativeReactionNode | CustomReactionNode;

// ---------------------------------------------------------------------------------------------
// The domain
// ---------------------------------------------------------------------------------------------

/** One YAML file the domain was loaded from. */
export interface SourceFileNode {
  readonly kind: 'SourceFileNode';
  readonly path: string;
}
export const SourceFileNode = defineNode<SourceFileNode>('SourceFileNode');

/** A whole domain, merged from one or more YAML files. */
export interface DomainModel {
  readonly kind: 'DomainModel';
  readonly name: string;
  readonly description?: string;
  readonly sources: readonly SourceFileNode[];
  readonly types: readonly TypeNode[];
  readonly aggregates: readonly AggregateNode[];
  readonly events: readonly EventNode[];
  readonly projections: readonly ProjectionNode[];
  /** Sorted by name. */
  readonly reactions: readonly ReactionNode[];
  readonly source: SourceLocation;
}
export const DomainModel = defineNode<DomainModel>('DomainModel');
