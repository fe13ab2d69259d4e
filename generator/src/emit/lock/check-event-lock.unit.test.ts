import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDomain, formatDomainErrors, type DomainModel } from '@eventsmith/schema';
import { describe, expect, it } from 'vitest';
import { checkEventLock, diffEventLock, type Impact } from './check-event-lock.js';
import { eventLockOf, parseEventLock, serializeEventLock } from './event-lock.js';

const FORMAT_MD = join(import.meta.dirname, '..', '..', '..', '..', 'schema', 'FORMAT.md');

/** The published domain every row edits. */
const BASE = `domain: Lab
types:
  Color: { enum: [red, green] }
  Point:
    fields: { x: integer, y: integer }
aggregates:
  Box:
    commands:
      open: { emits: Opened }
    events:
      Opened:
        description: A box was opened.
        fields:
          name: string
          note: string?
          count: integer
          size: { type: integer, default: 1 }
          color: Color
          status: { type: enum, values: [a, b] }
          at: Point
          tags: list<string>
          id: uuid
          ratio: number
      Moved:
        version: 2
        renamedFrom: [Shifted]
        fields: { to: string }
        history:
          1: { fields: { to: string } }
  Crate:
    events:
      Packed: { fields: { n: integer } }
`;

function load(text: string): DomainModel {
  const result = loadDomain([{ path: 'lab.yaml', text }]);
  if (!result.ok) throw new Error(formatDomainErrors(result.errors));
  return result.value;
}

function edit(from: string, to: string): string {
  expect(BASE).toContain(from);
  return BASE.replace(from, to);
}

interface Row {
  /** The YAML after the change. */
  readonly after: string;
  /** A snippet of `after` on the line every error must point at. */
  readonly at?: string;
}

/** One case per row of the table in FORMAT.md, keyed by the row's first cell. */
const IN_PLACE: Record<string, Row> = {
  'Add an optional field': {
    after: edit('          name: string\n', '          name: string\n          extra: string?\n'),
  },
  'Add a field with a default': {
    after: edit('          name: string\n', '          name: string\n          extra: { type: integer, default: 0 }\n'),
  },
  'Add a required field': {
    after: edit('          name: string\n', '          name: string\n          extra: string\n'),
    at: 'extra: string',
  },
  'Remove a required field': { after: edit('          count: integer\n', ''), at: '      Opened:' },
  'Remove an optional field': { after: edit('          note: string?\n', ''), at: '      Opened:' },
  'Rename a field': { after: edit('          name: string\n', '          title: string\n') },
  'Make a required field optional': { after: edit('count: integer\n', 'count: integer?\n'), at: 'count: integer?' },
  'Make an optional field required': { after: edit('note: string?', 'note: string'), at: 'note: string' },
  'Give a required field a default': { after: edit('count: integer\n', 'count: { type: integer, default: 0 }\n') },
  'Give an optional field a default': {
    after: edit('note: string?', 'note: { type: string, optional: true, default: none }'),
    at: 'note: {',
  },
  'Change a default': { after: edit('default: 1 }', 'default: 2 }'), at: 'size:' },
  'Remove a default': { after: edit('size: { type: integer, default: 1 }', 'size: integer'), at: 'size: integer' },
  "Change a field's type": { after: edit('count: integer\n', 'count: string\n'), at: 'count: string' },
  'Widen a type (`integer` → `number`; `uuid`, `date`, `datetime`, `decimal` or an enum → `string`)': {
    after: edit('count: integer\n', 'count: number\n'),
    at: 'count: number',
  },
  'Narrow a type (`string` → `uuid`, `number` → `integer`, …)': {
    after: edit('ratio: number', 'ratio: integer'),
    at: 'ratio: integer',
  },
  'Change the item type of a list': { after: edit('tags: list<string>', 'tags: list<integer>'), at: 'tags:' },
  'Add an enum value (inline or named)': { after: edit('values: [a, b]', 'values: [a, b, c]'), at: 'status:' },
  'Remove an enum value': { after: edit('values: [a, b]', 'values: [a]'), at: 'status:' },
  'Reorder enum values': { after: edit('values: [a, b]', 'values: [b, a]') },
  'Add a required field to a value object the event uses': {
    after: edit('fields: { x: integer, y: integer }', 'fields: { x: integer, y: integer, z: integer }'),
    at: 'z: integer',
  },
  'Add an optional field to a value object the event uses': {
    after: edit('fields: { x: integer, y: integer }', 'fields: { x: integer, y: integer, z: integer? }'),
  },
  'Rename a named type (same structure)': {
    after: edit('  Color: { enum: [red, green] }', '  Colour: { enum: [red, green] }').replace(
      'color: Color',
      'color: Colour',
    ),
  },
  'Reorder fields': {
    after: edit(
      '          name: string\n          note: string?\n',
      '          note: string?\n          name: string\n',
    ),
  },
  'Change a description': { after: edit('A box was opened.', 'The box was opened by someone.') },
  'Edit an older version in `history`': {
    after: edit(
      '1: { fields: { to: string } }',
      '1: { fields: { to: string, from: string }, upcast: [{ dropField: from }] }',
    ),
    at: 'from: string',
  },
  'Move an event to another aggregate': {
    after: edit(
      '  Crate:\n    events:\n      Packed: { fields: { n: integer } }\n',
      '  Crate:\n    events:\n      Emptied: { fields: {} }\n',
    ).replace('      Moved:\n', '      Packed: { fields: { n: integer } }\n      Moved:\n'),
    at: 'Packed:',
  },
  'Lower the version': {
    after: edit('        version: 2\n', '').replace('        history:\n          1: { fields: { to: string } }\n', ''),
    at: '      Moved:',
  },
  'Reuse a version number for other fields': {
    after: edit('        version: 2\n', '')
      .replace('        history:\n          1: { fields: { to: string } }\n', '')
      .replace('fields: { to: string }', 'fields: { to: integer }'),
  },
  'Remove a former name from `renamedFrom`': {
    after: edit('        renamedFrom: [Shifted]\n', ''),
    at: '      Moved:',
  },
  'Delete an event': {
    after: edit('      Packed: { fields: { n: integer } }\n', '      Emptied: { fields: {} }\n'),
    at: '  Crate:',
  },
};

const DECLARED: Record<string, string> = {
  'Bump the version, keep the recorded fields in `history` with upcast steps': edit(
    '      Packed: { fields: { n: integer } }\n',
    '      Packed:\n        version: 2\n        fields: { n: integer, label: string }\n        history:\n          1: { fields: { n: integer }, upcast: [{ addField: { field: label, default: none } }] }\n',
  ),
  'Rename an event and list the old name in `renamedFrom` (the recorded versions stay as they are)': edit(
    '      Packed: { fields: { n: integer } }\n',
    '      Boxed: { renamedFrom: [Packed], fields: { n: integer } }\n',
  ),
  'Retire an event: `retired: true`': edit(
    '      Packed: { fields: { n: integer } }\n',
    '      Packed: { retired: true, fields: { n: integer } }\n',
  ),
  'Add an event': edit(
    '      Packed: { fields: { n: integer } }\n',
    '      Packed: { fields: { n: integer } }\n      Sealed: { fields: { by: string } }\n',
  ),
};

/** The rows of a Markdown table that starts with `header`. */
function tableRows(header: string): string[][] {
  const lines = readFileSync(FORMAT_MD, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.startsWith(header));
  expect(start, `FORMAT.md has a table starting "${header}"`).toBeGreaterThan(-1);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const worst = (impacts: readonly Impact[]): Impact => (impacts.includes('breaking') ? 'breaking' : 'compatible');
const lineOf = (text: string, snippet: string) => text.slice(0, text.indexOf(snippet)).split('\n').length;

describe('event lock: every in-place change in FORMAT.md is classified as the table says', () => {
  const lock = eventLockOf(load(BASE));
  const rows = tableRows('| Change to a recorded version |');

  it('has a case for every row and a row for every case', () => {
    expect(rows.map((r) => r[0]).sort()).toEqual(Object.keys(IN_PLACE).sort());
  });

  for (const [change, stored, consumers, verdict] of tableRows('| Change to a recorded version |')) {
    it(`${change}: stored ${stored}, older consumers ${consumers}, ${verdict}`, () => {
      const row = IN_PLACE[change!];
      expect(row, `a test case for "${change}"`).toBeDefined();
      const model = load(row!.after);
      const changes = diffEventLock(lock, model).filter((c) => c.kind === 'in-place');
      expect({
        stored: worst(changes.map((c) => c.stored)),
        consumers: worst(changes.map((c) => c.consumers)),
      }).toEqual({ stored, consumers });
      const errors = checkEventLock(lock, model, { lockName: 'gen/events.lock.json' });
      expect(errors.length > 0 ? 'refused' : 'allowed').toBe(verdict);
      for (const e of errors) {
        expect(e.code).toBe('EVENT.BREAKING_CHANGE');
        expect(e.message).toContain('gen/events.lock.json');
        expect(e.fix).not.toBe('');
        expect(e.where.file).toBe('lab.yaml');
        if (row!.at) expect(e.where.line, `${e.message} at the line of "${row!.at}"`).toBe(lineOf(row!.after, row!.at));
      }
      // An allowed change updates the lock; the next run compares with the new one and finds nothing.
      if (verdict === 'allowed') expect(checkEventLock(eventLockOf(model), model, { lockName: 'x' })).toEqual([]);
    });
  }
});

describe('event lock: declared changes', () => {
  const lock = eventLockOf(load(BASE));
  it('has a case for every row of the declared-changes table', () => {
    expect(
      tableRows('| Declared change |')
        .map((r) => r[0])
        .sort(),
    ).toEqual(Object.keys(DECLARED).sort());
  });
  for (const [change, verdict] of tableRows('| Declared change |')) {
    it(`${change}: ${verdict}`, () => {
      const model = load(DECLARED[change!]!);
      expect(verdict).toBe('allowed');
      expect(checkEventLock(lock, model, { lockName: 'x' })).toEqual([]);
      expect(diffEventLock(lock, model).every((c) => c.kind === 'declared')).toBe(true);
    });
  }

  it('compares a renamed event with the versions recorded under its old name', () => {
    const model = load(
      edit(
        '      Packed: { fields: { n: integer } }\n',
        '      Boxed: { renamedFrom: [Packed], fields: { n: string } }\n',
      ),
    );
    const errors = checkEventLock(lock, model, { lockName: 'x' });
    expect(errors.map((e) => e.message)).toEqual([
      expect.stringContaining(
        'Packed v1 is published (recorded in x), but field "n" changed type from integer to string',
      ),
    ]);
  });

  it('an edited history version points at the version being added, when that one is a draft', () => {
    // Packed v1 is published; the YAML adds v2 (a draft, not in the lock) and edits v1 in history.
    const draft = (v1: string) =>
      edit(
        '      Packed: { fields: { n: integer } }\n',
        `      Packed:\n        version: 2\n        fields: { n: integer, label: string }\n        history:\n          1: { fields: { n: integer${v1} }, upcast: [${v1 ? '{ dropField: m }, ' : ''}{ addField: { field: label, default: none } }] }\n`,
      );
    expect(checkEventLock(lock, load(draft('')), { lockName: 'x' })).toEqual([]);
    const errors = checkEventLock(lock, load(draft(', m: integer')), { lockName: 'x' });
    expect(errors.map((e) => e.code)).toEqual(['EVENT.BREAKING_CHANGE']);
    expect(errors[0]!.fix).toContain('Restore v1 in `history`');
    expect(errors[0]!.fix).toContain('Make the change in v2 instead');
    expect(errors[0]!.fix).not.toContain('version 3');
    // Once v2 is recorded, editing v1 needs a new version: v3.
    const published = eventLockOf(load(draft('')));
    const later = checkEventLock(published, load(draft(', m: integer')), { lockName: 'x' });
    expect(later.map((e) => e.fix)).toEqual([expect.stringContaining('Declare the change as version 3.')]);
  });

  it('a command may not emit a retired event', () => {
    const result = loadDomain([
      {
        path: 'lab.yaml',
        text: edit('      Opened:\n        description', '      Opened:\n        retired: true\n        description'),
      },
    ]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => [e.code, e.where.line])).toEqual([['EVENT.RETIRED', 9]]);
  });
});

describe('event lock file', () => {
  it('round-trips, with sorted keys and enum values, LF and a final newline', () => {
    const model = load(BASE);
    const text = serializeEventLock(eventLockOf(model), ['lab.yaml']);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).not.toContain('\r');
    expect(parseEventLock(text)).toEqual(eventLockOf(model));
    const opened = Object.keys(parseEventLock(text).events['Opened']!.versions['1']!.fields);
    expect(opened).toEqual([...opened].sort());
    // Reordering fields or enum values gives the same file.
    expect(serializeEventLock(eventLockOf(load(IN_PLACE['Reorder fields']!.after)), ['lab.yaml'])).toBe(text);
    expect(serializeEventLock(eventLockOf(load(IN_PLACE['Reorder enum values']!.after)), ['lab.yaml'])).toBe(text);
  });

  it('refuses text that is not a lock, without quoting it', () => {
    expect(() => parseEventLock('{"password": "hunter2"')).toThrow(/not JSON/);
    expect(() =>
      parseEventLock('{"domain": "X", "events": {"A": {"aggregate": "B", "versions": {"0": {"fields": {}}}}}}'),
    ).toThrow(/not a version number/);
    expect(() =>
      parseEventLock(
        '{"domain": "X", "events": {"A": {"aggregate": "B", "versions": {"1": {"fields": {"f": {"type": "text"}}}}}}}',
      ),
    ).toThrow(/not a field type/);
  });
});
