import { describe, expect, it } from 'vitest';
import { loadDomain } from '../index.js';

const load = (text: string, limits?: Parameters<typeof loadDomain>[1]) =>
  loadDomain([{ path: 'd.yaml', text }], limits);
const codes = (text: string, limits?: Parameters<typeof loadDomain>[1]) => {
  const result = load(text, limits);
  return result.ok ? [] : result.errors.map((e) => e.code);
};

describe('hostile and broken YAML', () => {
  it('refuses an alias bomb with a clear error', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    const result = load(`domain: Bomb\n${levels.join('\n')}\n`);
    expect(result).toMatchObject({
      ok: false,
      errors: [{ code: 'YAML.ALIAS_LIMIT', where: { file: 'd.yaml', line: 1, col: 1 } }],
    });
    if (!result.ok) expect(result.errors[0]!.message).toContain('YAML bomb');
  });

  it('accepts a modest use of anchors and aliases', () => {
    const text = [
      'domain: Shared',
      'aggregates:',
      '  A:',
      '    events:',
      '      X: { fields: &fields { amount: decimal, note: string? } }',
      '      Y: { fields: *fields }',
    ].join('\n');
    const result = load(text);
    expect(result.ok).toBe(true);
  });

  it('refuses deeply nested flow collections before parsing them', () => {
    const depth = 100_000;
    const result = load(`domain: Deep\ndescription: ${'['.repeat(depth)}${']'.repeat(depth)}\n`);
    expect(result).toMatchObject({ ok: false, errors: [{ code: 'YAML.TOO_DEEP', where: { line: 2 } }] });
  });

  it('refuses deeply nested block maps and sequences', () => {
    let text = 'domain: Deep\ntypes:\n';
    for (let i = 0; i < 200; i++) text += `${'  '.repeat(i + 1)}k${i}:\n`;
    expect(codes(text)).toEqual(['YAML.TOO_DEEP']);
    const dashes = `domain: Deep\ndescription:\n${Array.from({ length: 200 }, (_, i) => `${'  '.repeat(i)}- `).join('\n')}x\n`;
    expect(codes(dashes)).toEqual(['YAML.TOO_DEEP']);
  });

  it('accepts ordinary nesting below the limit', () => {
    let fields = 'decimal';
    for (let i = 0; i < 10; i++) fields = `{ type: object, fields: { f${i}: ${fields} } }`;
    const text = `domain: Nested\naggregates:\n  A:\n    events:\n      X:\n        fields:\n          root: ${fields}\n`;
    expect(load(text).ok).toBe(true);
  });

  it('refuses a file over the size limit without parsing it', () => {
    const text = `domain: Big\ndescription: "${'x'.repeat(2000)}"\n`;
    expect(codes(text, { limits: { maxFileSize: 1000 } })).toEqual(['YAML.TOO_LARGE']);
    expect(codes(text)).toEqual([]);
  });

  it('reports a syntax error at its position', () => {
    const result = load('domain: Broken\ntypes:\n  A: { enum: [X, Y }\n');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors[0]!.code).toBe('YAML.SYNTAX');
      expect(result.errors[0]!.where.line).toBe(3);
    }
  });

  it('refuses several documents in one file, an empty file and a file that is not a map', () => {
    expect(codes('domain: A\n---\ndomain: B\n')).toEqual(['YAML.MULTIPLE_DOCUMENTS']);
    expect(codes('')).toEqual(['YAML.NOT_A_MAP']);
    expect(codes('# only a comment\n')).toEqual(['YAML.NOT_A_MAP']);
    expect(codes('- domain: A\n')).toEqual(['YAML.NOT_A_MAP']);
  });

  it('still validates the other files when one has a syntax error', () => {
    const result = loadDomain([
      { path: 'bad.yaml', text: 'domain: X\ntypes: [\n' },
      { path: 'good.yaml', text: 'domain: X\naggregates:\n  A:\n    snapshot: { evry: 5 }\n' },
    ]);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors.map((e) => `${e.where.file} ${e.code}`).sort()).toEqual([
        'bad.yaml YAML.SYNTAX',
        'good.yaml SCHEMA.UNKNOWN_PROPERTY',
      ]);
  });
});

describe('YAML diagnostics name what is wrong and point at it', () => {
  const utf16 = (text: string, bom: boolean, endian: 'le' | 'be') => {
    const le = Buffer.from(text, 'utf16le');
    const bytes = endian === 'le' ? le : Buffer.from(le).swap16();
    const mark = endian === 'le' ? [0xff, 0xfe] : [0xfe, 0xff];
    // What a reader that assumes UTF-8 (as the CLI does) hands the loader.
    return Buffer.concat([Buffer.from(bom ? mark : []), bytes]).toString('utf8');
  };

  it('names a UTF-16 encoding instead of calling the file "not a YAML map"', () => {
    for (const [bom, endian, name] of [
      [true, 'le', 'UTF-16LE'],
      [true, 'be', 'UTF-16BE'],
      [false, 'le', 'UTF-16LE'],
      [false, 'be', 'UTF-16BE'],
    ] as const) {
      const result = load(utf16('domain: Shop\naggregates: {}\n', bom, endian));
      expect(result).toMatchObject({
        ok: false,
        errors: [{ code: 'YAML.ENCODING', where: { file: 'd.yaml', line: 1, col: 1 } }],
      });
      if (!result.ok) {
        expect(result.errors).toHaveLength(1);
        expect(result.errors[0]!.message).toContain(name);
        expect(result.errors[0]!.fix).toContain('UTF-8');
      }
    }
  });

  it('accepts UTF-8 with a byte order mark', () => {
    expect(load('\uFEFFdomain: Shop\n').ok).toBe(true);
  });

  it('names a duplicate key and where it first appears', () => {
    const text = 'domain: Shop\ntypes:\n  Money: { enum: [EUR] }\n  Size: { enum: [S] }\n  Money: { enum: [USD] }\n';
    const result = load(text);
    expect(result).toMatchObject({
      ok: false,
      errors: [
        {
          code: 'YAML.DUPLICATE_KEY',
          where: { file: 'd.yaml', line: 5, col: 3, path: 'types.Money' },
          related: [{ file: 'd.yaml', line: 3, col: 3 }],
        },
      ],
    });
    if (!result.ok) expect(result.errors[0]!.message).toMatch(/"Money".*d\.yaml:3:3/);
  });

  it('points a bad indentation at the misplaced item, not at column 1', () => {
    const text =
      'domain: Shop\naggregates:\n  Order:\n    events:\n      Placed:\n        fields:\n          id: uuid\n         total: decimal\n';
    const result = load(text);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors[0]).toMatchObject({ code: 'YAML.SYNTAX', where: { line: 8, col: 10 } });
      expect(result.errors[0]!.fix).toMatch(/indent/i);
    }
    const list = load('domain: Shop\ntypes:\n  Size:\n    enum:\n      - S\n     - M\n');
    expect(list.ok).toBe(false);
    if (!list.ok) expect(list.errors.map((e) => `${e.where.line}:${e.where.col}`)).not.toContain('6:1');
  });

  it('an alias without its anchor is located at the alias', () => {
    expect(load('domain: Shop\ndescription: *missing\n')).toMatchObject({
      ok: false,
      errors: [{ code: 'YAML.SYNTAX', where: { line: 2, col: 14 } }],
    });
  });
});

describe('files that are not domain YAML are never echoed', () => {
  const SECRET = 'zq7Hunter2Secret';
  const echoes = (text: string) => {
    const result = load(text);
    expect(result.ok).toBe(false);
    if (result.ok) return [];
    return result.errors
      .flatMap((e) => [e.message, e.fix, e.where.path, ...(e.related ?? []).map((r) => r.path)])
      .filter((t) => t.includes(SECRET));
  };

  it('a password file that parses as a YAML map is reported as not a domain file, without its lines', () => {
    const shadow = `root:$6$${SECRET}:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nuser: ${SECRET}\n`;
    expect(codes(shadow)).toEqual(['SCHEMA.REQUIRED']);
    expect(echoes(shadow)).toEqual([]);
  });

  it('syntax errors and duplicate keys quote nothing from a file that does not name its domain', () => {
    for (const text of [
      `a: |${SECRET}\n  x\n`,
      `a: "\\q${SECRET}"\n`,
      `a: [x, }${SECRET}]\n`,
      `${SECRET}: 1\n${SECRET}: 2\n`,
      `a: *${SECRET}\n`,
      `a: !${SECRET} [x]\nb: !!${SECRET} y\n`,
    ]) {
      expect(echoes(text), text).toEqual([]);
    }
  });

  it('a domain file still gets the key in its duplicate-key error', () => {
    const result = load(`domain: Shop\ntypes:\n  ${SECRET}: { enum: [A] }\n  ${SECRET}: { enum: [B] }\n`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]!.message).toContain(SECRET);
  });
});

describe('syntax errors point at the construct that is broken, with a fix for that kind of error', () => {
  const errorsOf = (text: string) => {
    const result = load(text);
    return result.ok
      ? []
      : result.errors.map((e) => ({
          code: e.code,
          line: e.where.line,
          col: e.where.col,
          message: e.message,
          fix: e.fix,
        }));
  };

  it('an unclosed { is reported once, where it opens', () => {
    const text = [
      'domain: Bad',
      'aggregates:',
      '  Thing:',
      '    state: { name: string',
      '    events:',
      '      Created: { fields: { name: string } }',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      {
        code: 'YAML.SYNTAX',
        line: 4,
        col: 12,
        message: 'YAML syntax error: the flow map opened with `{` here is not closed with `}`.',
        fix: 'Close the { with } on the same line, or write the mapping as indented lines (`key: value`, one per line).',
      },
    ]);
  });

  it('an unclosed [ closed by } is one error at the [', () => {
    const text = ['domain: Bad', 'types:', '  Color: { enum: [red, green }', 'aggregates: {}'].join('\n');
    expect(errorsOf(text)).toEqual([
      {
        code: 'YAML.SYNTAX',
        line: 3,
        col: 18,
        message: 'YAML syntax error: the flow sequence opened with `[` here is not closed with `]`.',
        fix: 'Close the [ with ] on the same line, or write the list as indented lines (`- item`, one per line).',
      },
    ]);
  });

  it('an unclosed quote is reported where it opens', () => {
    const text = ['domain: "Bad', 'aggregates:', '  Thing:', '    state: { name: string }', ''].join('\n');
    expect(errorsOf(text)).toEqual([
      {
        code: 'YAML.SYNTAX',
        line: 1,
        col: 9,
        message: 'YAML syntax error: the quoted value opened with " here is not closed.',
        fix: 'Close it with a " at the end of the value, or remove the opening " if the value needs no quotes.',
      },
    ]);
  });

  it('a tab in the indentation is reported at the tab, with "indent with spaces"', () => {
    const text = ['domain: Bad', 'aggregates:', '\tThing:', '    state: { name: string }', ''].join('\n');
    expect(errorsOf(text)).toEqual([
      {
        code: 'YAML.SYNTAX',
        line: 3,
        col: 1,
        message: 'YAML syntax error: Tabs are not allowed as indentation.',
        fix: 'Indent with spaces, not tabs (set your editor to insert spaces in YAML files).',
      },
    ]);
  });

  it('a merge key is refused with one error at the `<<`, saying what to write instead', () => {
    const text = [
      'domain: Bad',
      'x-common: &common { name: string }',
      'aggregates:',
      '  Thing:',
      '    state: *common',
      '    events:',
      '      Created: { fields: { <<: *common, extra: integer } }',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      {
        code: 'YAML.SYNTAX',
        line: 7,
        col: 28,
        message: 'YAML merge keys (`<<: *name`) are not supported.',
        fix: 'Write the keys out in this map, or use the alias as the whole value (e.g. `fields: *common`) when nothing is added to it.',
      },
    ]);
  });

  it('a quoted "<<" key is an ordinary key, not a merge key', () => {
    const codes = errorsOf('domain: Ok\ntypes:\n  T: { type: object, fields: { "<<": string } }\n').map((e) => e.code);
    expect(codes).not.toContain('YAML.SYNTAX');
  });
});

describe('an unknown top-level key', () => {
  it('is named as a top-level property, not "in The document"', () => {
    const result = load('domain: Shop\nx-common: &common { name: string }\n');
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors.map((e) => [e.code, e.message, e.where.line, e.where.col])).toEqual([
        ['SCHEMA.UNKNOWN_PROPERTY', 'Unknown top-level property "x-common".', 2, 1],
      ]);
  });
});

describe('one error per syntax problem', () => {
  const located = (text: string) => {
    const result = load(text);
    return result.ok ? [] : result.errors.map((e) => `${e.code} ${e.where.line}:${e.where.col} ${e.message}`);
  };

  it('an unclosed quote inside { } is reported at the quote, not also as an unclosed {', () => {
    expect(located('domain: A\ntypes:\n  T: { type: object, fields: { a: "x } }\n')).toEqual([
      'YAML.SYNTAX 3:35 YAML syntax error: the quoted value opened with " here is not closed.',
    ]);
  });

  it('two unclosed [ on two lines are two errors', () => {
    expect(located('domain: A\ntypes:\n  T: { enum: [a, b }\n  U: { enum: [c, d }\n')).toEqual([
      'YAML.SYNTAX 3:14 YAML syntax error: the flow sequence opened with `[` here is not closed with `]`.',
      'YAML.SYNTAX 4:14 YAML syntax error: the flow sequence opened with `[` here is not closed with `]`.',
    ]);
  });

  it('a key indented under a scalar is one error, not two at the same place', () => {
    expect(located('domain: A\n  types: {}\n')).toHaveLength(1);
  });
});

describe('a key and the line below it, in the words of the mistake rather than of the YAML spec', () => {
  const located = (text: string) => {
    const result = load(text);
    return result.ok ? [] : result.errors.map((e) => [`${e.where.line}:${e.where.col}`, e.message, e.fix]);
  };

  it('a key without its `:` above an indented line is reported at the key, saying the `:` is missing', () => {
    expect(located('domain: Bank\naggregates:\n  Account:\n    state\n      balance: number\n')).toEqual([
      [
        '4:5',
        'YAML syntax error: this line has no `:` after its key, so YAML reads it and the line below as one key.',
        'Add `:` after the key (e.g. `state:`), or indent the line below like this one if it is a key of its own.',
      ],
    ]);
  });

  it('a key with a value and lines indented under it is reported at the value, saying which to change', () => {
    expect(located('domain: Bank\naggregates:\n  Account:\n    state: x\n      owner: string\n')).toEqual([
      [
        '4:12',
        'YAML syntax error: a key with its value on the same line (here) cannot also have nested keys on the lines indented below it.',
        'Remove the value after the `:` to give the key nested keys, or indent the line below like the keys around this one.',
      ],
    ]);
  });
});
