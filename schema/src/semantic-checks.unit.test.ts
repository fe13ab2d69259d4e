import { describe, expect, it } from 'vitest';
import { BASE, errorsOf, expectOneError, modelOf, positionOf } from '../test/support.js';
import { MAX_NAME_LENGTH } from './index.js';

/** BASE with `from` replaced by `to` (which must occur exactly once). */
function edit(from: string, to: string, text = BASE): string {
  expect(text.split(from)).toHaveLength(2);
  return text.replace(from, to);
}

describe('the base document', () => {
  it('is valid', () => {
    expect(modelOf(BASE).name).toBe('Test');
  });
});

describe('JSON Schema violations are located at the offending node', () => {
  it('unknown property, with did-you-mean', () => {
    const text = edit('    snapshot: { every: 10 }', '    snapshots: { every: 10 }');
    const error = expectOneError(
      text,
      'SCHEMA.UNKNOWN_PROPERTY',
      'snapshots',
      undefined,
      'aggregates.Account.snapshots',
    );
    expect(error.message).toContain('Did you mean "snapshot"?');
  });

  it('missing required property, at the name of the thing that lacks it', () => {
    const text = edit('    primaryKey: account_id\n', '');
    const error = expectOneError(text, 'SCHEMA.REQUIRED', 'Balances:', undefined, 'projections.Balances');
    expect(error.message).toContain('primaryKey');
  });

  it('wrong type, at the value', () => {
    const text = edit('    snapshot: { every: 10 }', '    snapshot: { every: ten }');
    expectOneError(text, 'SCHEMA.TYPE', 'ten', undefined, 'aggregates.Account.snapshot.every');
  });

  it('out of range', () => {
    const text = edit('    snapshot: { every: 10 }', '    snapshot: { every: 0 }');
    expectOneError(text, 'SCHEMA.RANGE', '0 }', 'snapshot');
  });

  it('unknown conversion, with did-you-mean', () => {
    const text = edit(
      '      Deposited:\n        fields:\n          amount: decimal',
      '      Deposited:\n        version: 2\n        history:\n          1:\n            fields: { amount: number, note: string? }\n            upcast:\n              - convert: { field: amount, using: numberToDecimals }\n        fields:\n          amount: decimal',
    );
    const error = expectOneError(text, 'SCHEMA.ENUM', 'numberToDecimals');
    expect(error.message).toContain('Did you mean "numberToDecimal"?');
  });

  it('an expression that is neither data.* nor meta.* explains the three forms', () => {
    const text = edit('owner: data.owner }', 'owner: owner }');
    const error = expectOneError(
      text,
      'SCHEMA.PATTERN',
      'owner }',
      'insert:',
      'projections.Balances.on.Opened.insert.owner',
    );
    expect(error.fix).toContain('data.owner');
    expect(error.fix).toContain('{ value: "owner" }');
  });

  it('a misspelt metadata key gets did-you-mean', () => {
    const text = edit('insert: { account_id: meta.aggregateId', 'insert: { account_id: meta.aggregateID');
    const error = expectOneError(text, 'SCHEMA.PATTERN', 'meta.aggregateID');
    expect(error.message).toContain('Did you mean "meta.aggregateId"?');
  });

  it('a name that is not an identifier, at the key', () => {
    const text = edit('  Currency: { enum: [EUR, USD] }', '  Currency: { enum: [EUR, USD] }\n  my-type: { enum: [A] }');
    expectOneError(text, 'NAME.INVALID', 'my-type', undefined, 'types.my-type');
  });

  it('a handler with two operations', () => {
    const text = edit(
      '      Opened:\n        insert:',
      '      Opened:\n        delete: { where: { account_id: meta.aggregateId } }\n        insert:',
    );
    expectOneError(text, 'SCHEMA.ONE_OF', 'delete', 'on:');
  });
});

describe('one typo does not hide or multiply other errors', () => {
  it('reports schema errors and the semantic errors of the valid parts together', () => {
    const text = edit('    snapshot: { every: 10 }', '    snapshot: { evry: 10 }')
      .replace('      owner: string\n      balance: decimal', '      owner: string\n      balance: decimel')
      .replace('emits: Deposited', 'emits: Deposit')
      .replace('        update:\n          where:', '        update:\n          wher:')
      .replace('      Opened:\n        insert:', '      Opend:\n        insert:');
    const errors = errorsOf(text);
    expect(errors.map((e) => [e.code, e.where.line])).toEqual([
      ['SCHEMA.UNKNOWN_PROPERTY', positionOf(text, 'evry').line],
      ['TYPE.UNKNOWN', positionOf(text, 'decimel').line],
      ['EVENT.UNKNOWN', positionOf(text, 'Deposit\n').line],
      ['PROJECTION.UNKNOWN_EVENT', positionOf(text, 'Opend:').line],
      ['SCHEMA.UNKNOWN_PROPERTY', positionOf(text, 'wher:').line],
    ]);
    expect(errors[0]!.message).toContain('Did you mean "every"?');
    expect(errors[4]!.message).toContain('Did you mean "where"?');
  });
});

describe('references', () => {
  it('unknown type, with did-you-mean, at the type', () => {
    const text = edit('      limit: Money?', '      limit: Mony?');
    const error = expectOneError(
      text,
      'TYPE.UNKNOWN',
      'Mony?',
      undefined,
      'aggregates.Account.events.Opened.fields.limit',
    );
    expect(error.message).toContain('Did you mean "Money"?');
  });

  it('invalid type expression', () => {
    const text = edit('      limit: Money?', '      limit: list<Money');
    expectOneError(text, 'TYPE.INVALID_EXPRESSION', 'list<Money');
  });

  it('unknown event in a command, with did-you-mean', () => {
    const text = edit('emits: Deposited', 'emits: Deposit');
    const error = expectOneError(text, 'EVENT.UNKNOWN', 'Deposit\n');
    expect(error.message).toContain('Did you mean "Deposited"?');
  });

  it("a command emitting another aggregate's event", () => {
    const text =
      `${BASE.replace('projections:', '  Other:\n    events:\n      Pinged: { fields: {} }\nprojections:')}`.replace(
        'emits: Deposited',
        'emits: [Deposited, Pinged]',
      );
    expectOneError(text, 'AGGREGATE.FOREIGN_EVENT', 'Pinged]');
  });

  it('projection handler for an event that does not exist, with did-you-mean', () => {
    const text = edit('      Deposited:\n        update:', '      Depositted:\n        update:');
    const error = expectOneError(text, 'PROJECTION.UNKNOWN_EVENT', 'Depositted');
    expect(error.message).toContain('Did you mean "Deposited"?');
  });

  it('projection handler for a former event name points to the current one', () => {
    const text = edit(
      '      Deposited:\n        fields:',
      '      Deposited:\n        renamedFrom: MoneyIn\n        fields:',
    ).replace('      Deposited:\n        update:', '      MoneyIn:\n        update:');
    const error = expectOneError(text, 'PROJECTION.UNKNOWN_EVENT', 'MoneyIn:');
    expect(error.message).toContain('renamed to "Deposited"');
  });

  it('value objects that contain themselves', () => {
    const text = edit('      currency: Currency\n', '      currency: Currency\n      change: list<Money>\n');
    expectOneError(text, 'TYPE.CYCLE', 'Money:');
  });
});

describe('duplicates', () => {
  it('an event with the name of a type, at the second declaration', () => {
    const text = edit(
      '      Deposited:\n        fields:',
      '      Money:\n        fields: {}\n      Deposited:\n        fields:',
    );
    const error = expectOneError(text, 'DOMAIN.DUPLICATE_NAME', 'Money:', 'events:');
    expect(error.related?.[0]).toMatchObject(positionOf(text, 'Money:'));
  });

  it('an event declared by two aggregates: only the duplicate, not its uses in commands and reactions', () => {
    const thing = `aggregates:
  Thing:
    commands:
      create: { params: { name: string }, emits: Created }
    events:
      Created: { fields: { name: string } }
`;
    const other = `aggregates:
  Other:
    commands:
      create: { params: { name: string }, emits: Created }
    events:
      Created: { fields: { name: string } }
reactions:
  WhenOther:
    when: Other.Created
    run: custom
`;
    const one = `domain: D\n${thing}${other.replace('aggregates:\n', '')}`;
    const error = expectOneError(one, 'DOMAIN.DUPLICATE_NAME', 'Created: {', 'Other:');
    expect(error.related?.[0]).toMatchObject(positionOf(one, 'Created: {'));
    const files = [
      { path: 'thing.yaml', text: `domain: D\n${thing}` },
      { path: 'other.yaml', text: `domain: D\n${other}` },
    ];
    expect(errorsOf(files).map((e) => `${e.where.file}:${e.where.line} ${e.code}`)).toEqual([
      'other.yaml:7 DOMAIN.DUPLICATE_NAME',
    ]);
  });

  it('names that differ only in case', () => {
    const text = edit(
      '  Currency: { enum: [EUR, USD] }',
      '  Currency: { enum: [EUR, USD] }\n  currency: { enum: [X] }',
    );
    expectOneError(text, 'DOMAIN.DUPLICATE_NAME', 'currency: {');
  });

  it('a YAML key given twice', () => {
    const text = edit('      owner: string\n      balance: decimal', '      owner: string\n      owner: decimal');
    expectOneError(text, 'YAML.DUPLICATE_KEY', 'owner: decimal');
  });

  it('two projections writing one table', () => {
    const text = `${BASE}  Again:\n    table: balances\n    columns: { id: string }\n    primaryKey: id\n    on: { Opened: custom }\n`;
    expectOneError(text, 'DOMAIN.DUPLICATE_NAME', 'Again:');
  });
});

describe('versions', () => {
  const versioned = (history: string, version = 3, fields = '          owner: string\n          limit: Money?') =>
    edit(
      '      Opened:\n        fields:\n          owner: string\n          limit: Money?',
      `      Opened:\n        version: ${version}\n        fields:\n${fields}\n        history:\n${history}`,
    );

  it('a version gap, at history', () => {
    const text = versioned('          1:\n            fields: { owner: string, limit: Money? }');
    const error = expectOneError(text, 'EVENT.VERSION_GAP', 'history:');
    expect(error.message).toContain('version 2');
  });

  it('a missing history, at version', () => {
    const text = edit('      Opened:\n        fields:', '      Opened:\n        version: 2\n        fields:');
    expectOneError(text, 'EVENT.VERSION_GAP', 'version: 2');
  });

  it('a huge version with gaps is one error per run of missing versions, not one per version', () => {
    const text = versioned(
      '          3:\n            fields: { owner: string, limit: Money? }\n            upcast: custom',
      100_000,
    );
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code)).toEqual(['EVENT.VERSION_GAP', 'EVENT.VERSION_GAP']);
    expect(errors.map((e) => e.message).sort()).toEqual([
      'Event "Opened" is at version 100000 but versions 1 to 2 are not declared in its history.',
      'Event "Opened" is at version 100000 but versions 4 to 99999 are not declared in its history.',
    ]);
  });

  it('a history entry at or above the current version', () => {
    const text = versioned(
      '          1:\n            fields: { owner: string, limit: Money? }\n          2:\n            fields: { owner: string, limit: Money? }\n          3:\n            fields: {}',
      3,
    );
    expectOneError(text, 'EVENT.VERSION_OUT_OF_RANGE', '3:\n');
  });

  it('a removed field no step drops, at the old field; a same-typed new field suggests renameField', () => {
    const text = versioned('          1:\n            fields: { name: string, limit: Money? }', 2);
    const error = expectOneError(text, 'EVENT.BREAKING_CHANGE', 'name: string');
    expect(error.fix).toContain('renameField: { from: name, to: owner }');
  });

  it('a retyped field, at the new field, suggesting the conversion', () => {
    const text = versioned('          1:\n            fields: { owner: integer, limit: Money? }', 2);
    const error = expectOneError(text, 'EVENT.BREAKING_CHANGE', 'owner: string', 'Opened:');
    expect(error.fix).toContain('convert: { field: owner, using: integerToString }');
  });

  it('a new required field without a default', () => {
    const text = versioned('          1:\n            fields: { limit: Money? }', 2);
    const error = expectOneError(text, 'EVENT.BREAKING_CHANGE', 'owner: string', 'Opened:');
    expect(error.fix).toContain('addField: { field: owner');
  });

  it('an optional field made required without a default', () => {
    const text = versioned('          1:\n            fields: { owner: string?, limit: Money? }', 2);
    expectOneError(text, 'EVENT.BREAKING_CHANGE', 'owner: string', 'Opened:');
  });

  it('declared steps explain the same changes', () => {
    const text = versioned(
      [
        '          1:',
        '            fields: { name: integer, legacy: boolean }',
        '            upcast:',
        '              - renameField: { from: name, to: owner }',
        '              - convert: { field: owner, using: integerToString }',
        '              - dropField: legacy',
        '          2:',
        '            fields: { owner: string, createdAt: datetime? }',
        '            upcast: custom',
      ].join('\n'),
      3,
    );
    const model = modelOf(text);
    const opened = model.events.find((e) => e.name === 'Opened')!;
    expect(opened.history.map((h) => h.upcast.kind)).toEqual(['DeclarativeUpcastNode', 'CustomUpcastNode']);
  });

  it('a new optional field and a field with a default need no step', () => {
    const text = versioned(
      '          1:\n            fields: { owner: string }',
      2,
      '          owner: string\n          limit: Money?\n          tier: { type: integer, default: 1 }',
    );
    expect(
      modelOf(text)
        .events.find((e) => e.name === 'Opened')!
        .fields.map((f) => f.name),
    ).toEqual(['owner', 'limit', 'tier']);
  });

  it('an invalid step: renaming a field that does not exist', () => {
    const text = versioned(
      '          1:\n            fields: { owner: string, limit: Money? }\n            upcast:\n              - renameField: { from: ownr, to: owner2 }',
      2,
    );
    const error = errorsOf(text)[0]!;
    expect(error.code).toBe('EVENT.INVALID_STEP');
    expect(error.message).toContain('Did you mean "owner"?');
    expect({ line: error.where.line, col: error.where.col }).toEqual(positionOf(text, 'renameField: { from: ownr'));
  });

  it('an invalid step: a conversion from the wrong type', () => {
    const text = versioned(
      '          1:\n            fields: { owner: string, limit: Money? }\n            upcast:\n              - convert: { field: owner, using: numberToString }',
      2,
    );
    expectOneError(text, 'EVENT.INVALID_STEP', 'convert:');
  });
});

describe('identifiers', () => {
  it('a TypeScript reserved word as a field name', () => {
    const text = edit('          note: string?', '          class: string?');
    const error = expectOneError(text, 'NAME.RESERVED', 'class:');
    expect(error.message).toContain('TypeScript');
  });

  it('a SQL reserved word as a column name', () => {
    const text = edit('      note: text?', '      order: text?').replace('note: data.note', 'order: data.note');
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code)).toEqual(['NAME.RESERVED']);
    expect(errors[0]!.where).toMatchObject(positionOf(text, 'order: text?'));
    expect(errors[0]!.message).toContain('SQL');
  });

  it('an event named like a global that generated code uses', () => {
    const text = edit(
      '      Deposited:\n        fields:',
      '      Date:\n        fields: {}\n      Deposited:\n        fields:',
    );
    const error = expectOneError(text, 'NAME.RESERVED', 'Date:');
    expect(error.message).toContain('shadow the global');
  });

  it('a command that would shadow an AggregateRoot member', () => {
    const text = edit('      deposit:\n', '      raise:\n');
    expectOneError(text, 'AGGREGATE.RESERVED_MEMBER', 'raise:');
  });

  // `{ __proto__: x }` sets a row's prototype instead of a column; `constructor` and `prototype` are
  // found on objects through their prototype. Every name that becomes an object key refuses them.
  for (const name of ['__proto__', 'constructor', 'prototype']) {
    it(`"${name}" as a column name`, () => {
      const text = edit('      note: text?\n', `      note: text?\n      ${name}: string?\n`);
      const error = expectOneError(
        text,
        'NAME.RESERVED',
        `${name}: string?`,
        undefined,
        `projections.Balances.columns.${name}`,
      );
      expect(error.message).toContain(`"${name}"`);
    });

    it(`"${name}" as a state field, a command parameter and an event field`, () => {
      const text = edit(
        '      balance: decimal\n    commands',
        `      balance: decimal\n      ${name}: string\n    commands`,
      )
        .replace('params: { amount: decimal }', `params: { amount: decimal, ${name}: string }`)
        .replace('          note: string?\n', `          note: string?\n          ${name}: string?\n`);
      const errors = errorsOf(text);
      expect(errors.map((e) => `${e.code} ${e.where.path}`)).toEqual([
        `NAME.RESERVED aggregates.Account.state.${name}`,
        `NAME.RESERVED aggregates.Account.commands.deposit.params.${name}`,
        `NAME.RESERVED aggregates.Account.events.Deposited.fields.${name}`,
      ]);
    });
  }

  it('"__proto__" as a former event name (a key of the generated alias table)', () => {
    const text = edit(
      '      Deposited:\n        fields:',
      '      Deposited:\n        renamedFrom: [MoneyIn, __proto__]\n        fields:',
    );
    expectOneError(
      text,
      'NAME.RESERVED',
      '__proto__]',
      undefined,
      'aggregates.Account.events.Deposited.renamedFrom[1]',
    );
  });

  it('"__proto__" as a value of an inline enum', () => {
    const text = edit(
      '          note: string?\n',
      '          note: string?\n          kind: { type: enum, values: [cash, __proto__] }\n',
    );
    expectOneError(text, 'NAME.RESERVED', '__proto__', 'values:');
  });
});

describe('name lengths: what validate accepts, generate can write', () => {
  it('an aggregate name too long for a file name, at its key, without echoing all of it', () => {
    const long = 'A'.repeat(10_000);
    // A flow map: YAML itself limits block keys to 1024 characters.
    const text = `domain: Test\naggregates: { ${long}: { events: { Happened: { fields: { id: uuid } } } } }\n`;
    const errors = errorsOf([
      { path: 'domain.yaml', text: BASE },
      { path: 'long.yaml', text },
    ]);
    expect(errors.map((e) => e.code)).toEqual(['NAME.TOO_LONG']);
    expect(errors[0]!.where).toMatchObject({
      file: 'long.yaml',
      ...positionOf(text, long),
      path: expect.stringContaining('aggregates.AAAA'),
    });
    expect(errors[0]!.message).toContain(`${MAX_NAME_LENGTH}`);
    expect(errors[0]!.message).toContain('10000 characters');
    expect(errors[0]!.message.length).toBeLessThan(200);
  });

  it('accepts names of the documented maximum length and refuses one more character', () => {
    const field = (n: number) => `f${'x'.repeat(n - 1)}`;
    expect(
      modelOf(
        edit('          note: string?\n', `          note: string?\n          ${field(MAX_NAME_LENGTH)}: string?\n`),
      ).name,
    ).toBe('Test');
    const text = edit(
      '          note: string?\n',
      `          note: string?\n          ${field(MAX_NAME_LENGTH + 1)}: string?\n`,
    );
    expectOneError(text, 'NAME.TOO_LONG', field(MAX_NAME_LENGTH + 1));
  });
});

describe('field types', () => {
  it("a type from another language gets eventsmith's name for it, not a list", () => {
    for (const [written, meant] of [
      ['str', 'string'],
      ['timestamp', 'datetime'],
      ['int', 'integer'],
      ['bool', 'boolean'],
      ['float', 'number'],
      ['guid', 'uuid'],
    ]) {
      const text = edit('          note: string?\n', `          note: ${written}?\n`);
      const error = expectOneError(text, 'TYPE.UNKNOWN', `${written}?`);
      expect(error.message).toContain(`Did you mean "${meant}"?`);
      expect(error.fix).toContain(`Write "${meant}"`);
    }
  });

  it('a type name the user declared wins over an alias, and a misspelling still gets did-you-mean', () => {
    const declared = edit('types:\n', 'types:\n  int: { enum: [one, two] }\n').replace(
      '          note: string?\n',
      '          note: int?\n',
    );
    expect(modelOf(declared).name).toBe('Test');
    const text = edit('          note: string?\n', '          note: Mony?\n');
    expect(expectOneError(text, 'TYPE.UNKNOWN', 'Mony?').message).toContain('Did you mean "Money"?');
  });
});

describe('aggregate state', () => {
  it('a state field without a natural zero needs an initial value', () => {
    const text = edit(
      '      balance: decimal\n    commands',
      '      balance: decimal\n      currency: Currency\n    commands',
    );
    expectOneError(text, 'AGGREGATE.MISSING_INITIAL', 'currency: Currency\n    commands');
  });

  it('an initial value of the wrong type', () => {
    const text = edit(
      '      balance: decimal\n    commands',
      '      balance: decimal\n      currency: { type: Currency, initial: YEN }\n    commands',
    );
    expectOneError(text, 'TYPE.INVALID_VALUE', 'YEN');
  });

  it.each([
    ['date', "'2024-02-30'"],
    ['date', "'2023-02-29'"],
    ['date', "'2024-13-45'"],
    ['datetime', "'2024-02-30T10:00:00Z'"],
  ])('an initial %s %s that is no day of the calendar (the runtime refuses it)', (type, value) => {
    const text = edit(
      '      balance: decimal\n    commands',
      `      balance: decimal\n      since: { type: ${type}, initial: ${value} }\n    commands`,
    );
    expectOneError(text, 'TYPE.INVALID_VALUE', value);
  });

  it('an initial date on a leap day', () => {
    const text = edit(
      '      balance: decimal\n    commands',
      "      balance: decimal\n      since: { type: date, initial: '2024-02-29' }\n    commands",
    );
    expect(modelOf(text).aggregates[0]!.state.find((f) => f.name === 'since')?.initial).toBe('2024-02-29');
  });
});

describe('projection columns', () => {
  it('unknown column, with did-you-mean', () => {
    const text = edit('owner: data.owner }', 'ownr: data.owner }');
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code).sort()).toEqual(['PROJECTION.MISSING_COLUMN', 'PROJECTION.UNKNOWN_COLUMN']);
    const unknown = errors.find((e) => e.code === 'PROJECTION.UNKNOWN_COLUMN')!;
    expect(unknown.message).toContain('Did you mean "owner"?');
    expect(unknown.where).toMatchObject(positionOf(text, 'ownr:'));
  });

  it('unknown primary key column', () => {
    const text = edit('primaryKey: account_id', 'primaryKey: acount_id');
    expectOneError(text, 'PROJECTION.UNKNOWN_COLUMN', 'acount_id');
  });

  it('a nullable primary key', () => {
    const text = edit('      account_id: string\n', '      account_id: string?\n');
    expectOneError(text, 'PROJECTION.PRIMARY_KEY', 'account_id\n    on');
  });

  it('unknown index column', () => {
    const text = edit('    primaryKey: account_id\n', '    primaryKey: account_id\n    indexes: [[owner, balanse]]\n');
    expectOneError(text, 'PROJECTION.UNKNOWN_COLUMN', 'balanse');
  });

  it('unknown event field, with did-you-mean', () => {
    const text = edit('owner: data.owner }', 'owner: data.ownr }');
    const error = expectOneError(text, 'PROJECTION.UNKNOWN_FIELD', 'data.ownr');
    expect(error.message).toContain('Did you mean "owner"?');
  });

  it('a nested event field that does not exist', () => {
    const text = edit('      note: text?\n', '      note: text?\n      limit_amount: decimal?\n').replace(
      'owner: data.owner }',
      'owner: data.owner, limit_amount: data.limit.amont }',
    );
    expectOneError(text, 'PROJECTION.UNKNOWN_FIELD', 'data.limit.amont');
  });

  it('a value of the wrong type for its column', () => {
    const text = edit('      note: text?\n', '      note: text?\n      active: boolean?\n').replace(
      'note: data.note }',
      'note: data.note, active: data.amount }',
    );
    expectOneError(text, 'PROJECTION.TYPE_MISMATCH', 'data.amount }', 'active: data');
  });

  it('an optional field written to a non-nullable column', () => {
    const text = edit('      note: text?\n', '      note: text\n').replace(
      'owner: data.owner }',
      'owner: data.owner, note: { value: "" } }',
    );
    expectOneError(text, 'PROJECTION.NULLABILITY', 'data.note');
  });

  it('an insert that leaves a required column unset', () => {
    const text = edit('owner: data.owner }', 'balance: data.owner }'.replace('data.owner', '{ value: "1" }'));
    expectOneError(text, 'PROJECTION.MISSING_COLUMN', 'insert:');
  });

  it('increment on a text column', () => {
    const text = edit('note: data.note }', 'note: { increment: 1 } }');
    expectOneError(text, 'PROJECTION.TYPE_MISMATCH', '{ increment: 1 }');
  });

  it('a misspelt column type gets did-you-mean, in the short and the long form', () => {
    const short = edit('      owner: string\n      balance: {', '      owner: strng\n      balance: {');
    const error = expectOneError(short, 'SCHEMA.PATTERN', 'strng');
    expect(error.message).toContain('Did you mean "string"?');
    expect(error.fix).toContain('"text"');
    const nullable = edit('      note: text?\n', '      note: txt?\n');
    expect(expectOneError(nullable, 'SCHEMA.PATTERN', 'txt?').message).toContain('Did you mean "text?"?');
    const long = edit('      owner: string\n      balance: {', '      owner: { type: varchar }\n      balance: {');
    expect(expectOneError(long, 'SCHEMA.ENUM', 'varchar').message).toContain('Did you mean "string"?');
  });

  it("a column type from another language gets eventsmith's name for it", () => {
    for (const [written, meant] of [
      ['int', 'integer'],
      ['timestamp', 'datetime'],
      ['bool', 'boolean'],
      ['long', 'bigint'],
      ['jsonb', 'json'],
    ]) {
      const text = edit('      note: text?\n', `      note: text?\n      extra: ${written}?\n`);
      expect(expectOneError(text, 'SCHEMA.PATTERN', `${written}?`).message).toContain(`Did you mean "${meant}?"?`);
    }
  });

  it('a literal normalised to the column type', () => {
    const text = edit('owner: data.owner }', 'owner: data.owner, balance: { value: 5 } }');
    const insert = modelOf(text).projections[0]!.handlers[0]!;
    expect(insert).toMatchObject({
      operation: { values: [{}, {}, { column: 'balance', value: { kind: 'LiteralExpr', value: '5' } }] },
    });
  });
});
