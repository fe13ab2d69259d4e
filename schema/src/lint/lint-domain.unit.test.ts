import { describe, expect, it } from 'vitest';
import { BASE, modelOf, positionOf } from '../../test/support.js';
import { countDiagnostics, formatDiagnostic, type Diagnostic } from './diagnostic.js';
import { lintDomain } from './lint-domain.js';

/** BASE with `from` replaced by `to` (which must occur exactly once). */
function edit(from: string, to: string, text = BASE): string {
  expect(text.split(from)).toHaveLength(2);
  return text.replace(from, to);
}

function lint(text: string): readonly Diagnostic[] {
  return lintDomain(modelOf(text));
}

/** Expects the diagnostic at the position of `needle` (after `after`), in domain.yaml, at the YAML path. */
function expectAt(d: Diagnostic, text: string, needle: string, after: string | undefined, path: string): void {
  expect({ file: d.where.file, ...positionOf(text, needle, after), path }).toEqual({
    file: 'domain.yaml',
    line: d.where.line,
    col: d.where.col,
    path: d.where.path,
  });
  expect(d.message.length).toBeGreaterThan(10);
  expect(d.fix.length).toBeGreaterThan(10);
}

const PROJECTION_OF_EVERYTHING = BASE;

describe('lintDomain', () => {
  it('finds nothing in a domain where every type, column and event is used', () => {
    expect(lint(PROJECTION_OF_EVERYTHING)).toEqual([]);
  });

  it('returns frozen diagnostics', () => {
    const diagnostics = lint(edit('types:\n', 'types:\n  Spare: { enum: [A] }\n'));
    expect(Object.isFrozen(diagnostics)).toBe(true);
    expect(Object.isFrozen(diagnostics[0])).toBe(true);
  });
});

describe('FLOW.UNUSED_TYPE', () => {
  it('warns about a value object nothing uses, at its name', () => {
    const text = edit('types:\n', 'types:\n  Address:\n    fields: { street: string }\n');
    const [d, ...rest] = lint(text);
    expect(rest).toEqual([]);
    expect({ severity: d!.severity, code: d!.code }).toEqual({ severity: 'warning', code: 'FLOW.UNUSED_TYPE' });
    expectAt(d!, text, 'Address', undefined, 'types.Address');
    expect(d!.message).toBe('Type "Address" is declared, but nothing uses it.');
  });

  it('warns about an enum nothing uses', () => {
    const text = edit('types:\n', 'types:\n  Status: { enum: [open, closed] }\n');
    const [d, ...rest] = lint(text);
    expect(rest).toEqual([]);
    expect(d!.code).toBe('FLOW.UNUSED_TYPE');
    expectAt(d!, text, 'Status', undefined, 'types.Status');
    expect(d!.message).toContain('Enum "Status"');
  });

  it('warns about a type that only an unused type uses, naming that type', () => {
    // Money is used only by Opened.limit; without that field, Money and (through it) Currency are unused.
    const text = edit('          limit: Money?\n', '');
    const diagnostics = lint(text);
    expect(diagnostics.map((d) => [d.code, d.where.path])).toEqual([
      ['FLOW.UNUSED_TYPE', 'types.Currency'],
      ['FLOW.UNUSED_TYPE', 'types.Money'],
    ]);
    expectAt(diagnostics[0]!, text, 'Currency', undefined, 'types.Currency');
    expectAt(diagnostics[1]!, text, 'Money', undefined, 'types.Money');
    expect(diagnostics[0]!.message).toBe(
      'Enum "Currency" is used only by type "Money", which no event, state or command uses.',
    );
  });

  it.each([
    [
      'an aggregate state field',
      '      owner: string\n      balance: decimal\n',
      '      owner: string\n      balance: decimal\n      kind: { type: Kind, initial: a }\n',
    ],
    [
      'a command parameter',
      '        params: { amount: decimal }\n',
      '        params: { amount: decimal, kind: Kind }\n',
    ],
    ['a list in an event field', '          note: string?\n', '          note: string?\n          kinds: list<Kind>\n'],
    [
      'an inline object in an event field',
      '          note: string?\n',
      '          note: string?\n          meta: { type: object, fields: { kind: Kind } }\n',
    ],
  ])('counts a type used by %s as used', (_what, from, to) => {
    const text = edit(from, to, edit('types:\n', 'types:\n  Kind: { enum: [a, b] }\n'));
    expect(lint(text)).toEqual([]);
  });

  it('counts a type used only by an older event version as used (stored events still decode with it)', () => {
    const text = edit(
      '          note: string?\n',
      '          note: string?\n        version: 2\n        history:\n          1:\n            fields: { amount: decimal, kind: Kind }\n            upcast: [{ dropField: kind }]\n',
      edit('types:\n', 'types:\n  Kind: { enum: [a, b] }\n'),
    );
    expect(lint(text)).toEqual([]);
  });
});

describe('FLOW.COLUMN_NEVER_SET', () => {
  it('warns about a column no handler sets and without a default, at the column', () => {
    const text = edit('      note: text?\n', '      note: text?\n      region: string?\n');
    const [d, ...rest] = lint(text);
    expect(rest).toEqual([]);
    expect({ severity: d!.severity, code: d!.code }).toEqual({ severity: 'warning', code: 'FLOW.COLUMN_NEVER_SET' });
    expectAt(d!, text, 'region', undefined, 'projections.Balances.columns.region');
    expect(d!.message).toBe(
      'Column "region" of projection Balances is set by no handler and has no default, so it is always NULL.',
    );
  });

  it('does not warn about a column with a default that no handler sets', () => {
    const text = edit('      note: text?\n', '      note: text?\n      region: { type: string, default: EU }\n');
    expect(lint(text)).toEqual([]);
  });

  it('counts a column set only by update.set as set', () => {
    // `note` is set only in the Deposited update; removing it there leaves it never set.
    expect(lint(BASE)).toEqual([]);
    const text = edit(
      'set: { balance: { increment: data.amount }, note: data.note }',
      'set: { balance: { increment: data.amount } }',
    );
    const diagnostics = lint(text);
    expect(diagnostics.map((d) => [d.code, d.where.path])).toEqual([
      ['FLOW.COLUMN_NEVER_SET', 'projections.Balances.columns.note'],
    ]);
    expectAt(diagnostics[0]!, text, 'note', '    columns:', 'projections.Balances.columns.note');
  });

  it('does not check a projection with a custom handler (the handler may set any column)', () => {
    const text = edit(
      '      note: text?\n',
      '      note: text?\n      region: string?\n',
      edit(
        '      Opened:\n        insert: { account_id: meta.aggregateId, owner: data.owner }\n',
        '      Opened: custom\n',
      ),
    );
    expect(lint(text)).toEqual([]);
  });
});

describe('FLOW.EVENT_UNREAD', () => {
  const twoUnread = edit(
    '          note: string?\n',
    '          note: string?\n      Closed:\n        fields: { reason: string }\n      Frozen:\n        fields: { until: date }\n',
  );

  it('lists every event no projection reads once per domain, as information at the domain, each event at its declaration', () => {
    const diagnostics = lint(twoUnread);
    expect(diagnostics).toHaveLength(1);
    const d = diagnostics[0]!;
    expect({ severity: d.severity, code: d.code }).toEqual({ severity: 'info', code: 'FLOW.EVENT_UNREAD' });
    expectAt(d, twoUnread, 'Test', undefined, 'domain');
    expect(d.message).toBe('2 events are read by no projection or reaction of domain Test: Closed, Frozen.');
    expect(d.related?.map((r) => ({ file: r.file, line: r.line, col: r.col, path: r.path }))).toEqual([
      { file: 'domain.yaml', ...positionOf(twoUnread, 'Closed'), path: 'aggregates.Account.events.Closed' },
      { file: 'domain.yaml', ...positionOf(twoUnread, 'Frozen'), path: 'aggregates.Account.events.Frozen' },
    ]);
  });

  it('says "1 event is" for one', () => {
    const text = edit(
      '          note: string?\n',
      '          note: string?\n      Closed:\n        fields: { reason: string }\n',
    );
    expect(lint(text).map((d) => d.message)).toEqual([
      '1 event is read by no projection or reaction of domain Test: Closed.',
    ]);
  });

  it('leaves out retired events', () => {
    const text = edit(
      '          note: string?\n',
      '          note: string?\n      Closed:\n        retired: true\n        fields: { reason: string }\n',
    );
    expect(lint(text)).toEqual([]);
  });

  it('counts an event with a custom projection handler as read', () => {
    const text = edit(
      '      Deposited:\n        update:',
      '      Closed: custom\n      Deposited:\n        update:',
      edit('          note: string?\n', '          note: string?\n      Closed:\n        fields: { reason: string }\n'),
    );
    expect(lint(text)).toEqual([]);
  });

  it('counts an event a reaction reads as read, declarative or custom', () => {
    const withEvents = edit(
      '          note: string?\n',
      '          note: string?\n      Closed:\n        fields: { reason: string }\n      Frozen:\n        fields: { until: date }\n',
    );
    const reactions =
      'reactions:\n' +
      '  RefundOnClose:\n    when: Account.Closed\n    run: Account.deposit\n    to: meta.aggregateId\n    with: { amount: { value: \"1\" } }\n' +
      '  NotifyFrozen:\n    when: Frozen\n    run: custom\n';
    expect(lint(withEvents + reactions)).toEqual([]);
    // Without the custom one, only Frozen is unread.
    const declarativeOnly = withEvents + reactions.slice(0, reactions.indexOf('  NotifyFrozen:'));
    expect(lint(declarativeOnly).map((d) => d.message)).toEqual([
      '1 event is read by no projection or reaction of domain Test: Frozen.',
    ]);
  });
});

describe('diagnostics for people', () => {
  it('sorts warnings before information and formats each with file:line:col, severity, path, code and fix', () => {
    const text = edit(
      'types:\n',
      'types:\n  Spare: { enum: [A] }\n',
      edit('          note: string?\n', '          note: string?\n      Closed:\n        fields: { reason: string }\n'),
    );
    const diagnostics = lint(text);
    expect(diagnostics.map((d) => d.severity)).toEqual(['warning', 'info']);
    const at = positionOf(text, 'Spare');
    expect(formatDiagnostic(diagnostics[0]!).split('\n')).toEqual([
      `domain.yaml:${at.line}:${at.col}  warning: Enum "Spare" is declared, but nothing uses it.`,
      '  at types.Spare  [FLOW.UNUSED_TYPE]',
      '  fix: Use it as the type of a field (`spare: Spare`), or delete it from types:.',
    ]);
    const closed = positionOf(text, 'Closed');
    expect(formatDiagnostic(diagnostics[1]!)).toContain(
      `\n  see: domain.yaml:${closed.line}:${closed.col} (aggregates.Account.events.Closed)`,
    );
  });

  it('counts with nouns that agree', () => {
    const one = lint(edit('types:\n', 'types:\n  Spare: { enum: [A] }\n'));
    expect(countDiagnostics(one)).toBe('1 warning');
    const more = lint(
      edit(
        'types:\n',
        'types:\n  Spare: { enum: [A] }\n  Other: { enum: [B] }\n',
        edit(
          '          note: string?\n',
          '          note: string?\n      Closed:\n        fields: { reason: string }\n',
        ),
      ),
    );
    expect(countDiagnostics(more)).toBe('2 warnings, 1 note');
    expect(countDiagnostics([])).toBe('');
  });
});
