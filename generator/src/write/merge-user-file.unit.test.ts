import { describe, expect, it } from 'vitest';
import type { RenderedImport, UserFileMerge } from '../emit/index.js';
import { mergeUserFile } from './merge-user-file.js';

const EXISTING = `import { handles } from '@eventsmith/runtime';
import { Base, Opened, type State } from '../generated/index.js';

export class Account extends Base {
  open(name: string): void {
    // my own command, with   odd   spacing
    this.raiseOpened({ name });
  }

  @handles(Opened)
  whenOpened(event: Opened): State {
    return { ...this.state, name: event.data.name }; // hand-written
  }

  @handles(Frozen)
  onFrozen(event: Frozen): State {
    return this.state;
  }
}
`;

const imports: RenderedImport[] = [
  { from: '@eventsmith/runtime', names: [{ name: 'handles', type: false }] },
  {
    from: '../generated/index.js',
    names: [
      { name: 'Base', type: false },
      { name: 'Deposited', type: false },
      { name: 'Opened', type: false },
      { name: 'State', type: true },
    ],
  },
];

const merge: UserFileMerge & { imports: RenderedImport[] } = {
  container: { kind: 'class', name: 'Account' },
  owner: 'Account',
  handledEvents: ['Opened', 'Deposited'],
  members: [
    {
      name: 'onOpened',
      handles: 'Opened',
      text: '@handles(Opened)\nonOpened(event: Opened): State {\n  return { ...this.state };\n}',
    },
    {
      name: 'onDeposited',
      handles: 'Deposited',
      text: '@handles(Deposited)\nonDeposited(event: Deposited): State {\n  // TODO\n  return { ...this.state };\n}',
    },
    { name: 'open', text: 'open(): void {\n  throw new Error();\n}' },
  ],
  imports,
};

describe('mergeUserFile', () => {
  it('adds a stub for a new event and its import, and changes nothing that was there', () => {
    const { text, added } = mergeUserFile('src/account.ts', EXISTING, merge);
    expect(added).toEqual(['onDeposited', 'import Deposited']);
    // Everything the user wrote is still there, byte for byte.
    const classBody = EXISTING.slice(EXISTING.indexOf('export class'), EXISTING.lastIndexOf('}'));
    expect(text).toContain(classBody.trimEnd());
    expect(text).toContain('// my own command, with   odd   spacing');
    expect(text).toMatch(
      / {2}@handles\(Deposited\)\n {2}onDeposited\(event: Deposited\): State \{\n {4}\/\/ TODO\n {4}return \{ \.\.\.this\.state \};\n {2}\}\n\}\n$/,
    );
    // The import gains the name where it sorts, formatted as prettier prints it.
    expect(text).toContain("import { Base, Deposited, Opened, type State } from '../generated/index.js';");
  });

  it('counts a renamed handler as present through its @handles decorator, and keeps a same-named command', () => {
    const { text } = mergeUserFile('src/account.ts', EXISTING, merge);
    expect(text).not.toContain('onOpened(');
    expect(text.match(/\bopen\(/g)).toHaveLength(1);
  });

  it('reports, and keeps, a handler for an event the YAML no longer declares', () => {
    const { text, warnings } = mergeUserFile('src/account.ts', EXISTING, merge);
    expect(warnings).toEqual([
      expect.stringContaining('Account.onFrozen handles Frozen, which Account no longer declares'),
    ]);
    expect(text).toContain('onFrozen(event: Frozen): State {\n    return this.state;\n  }');
  });

  describe('a command the YAML no longer declares', () => {
    const withPay = `import { handles } from '@eventsmith/runtime';
import {
  Base,
  type AccountOpenCommand,
  type AccountPayCommand,
  Opened,
  type OrderLineAddCommand,
  type State,
} from '../generated/index.js';

export class Account extends Base {
  open(command: AccountOpenCommand): void {
    this.raiseOpened({ name: command.name });
  }

  /** Pays the invoice. */
  pay(command: AccountPayCommand): void {
    this.raisePaid({ amount: command.amount });
  }

  @handles(Opened)
  onOpened(event: Opened): State {
    return { ...this.state };
  }
}
`;
    const withCommands = {
      ...merge,
      handledEvents: ['Opened'],
      members: merge.members.filter((m) => m.name !== 'onDeposited'),
      commandTypes: { typePrefix: 'Account', exported: ['AccountOpenCommand', 'OrderLineAddCommand'] },
    };
    const expected = (line: number) =>
      `src/account.ts:${line}:3: Account.pay takes AccountPayCommand, the parameters of command "pay", which Account no longer declares in the YAML; AccountPayCommand is no longer generated, so this file does not compile. It was kept; delete the method, and AccountPayCommand from the import on line 5 (or declare the command again).`;

    it('reports its method at its line and column, with what to delete, and keeps it (nothing missing)', () => {
      const { text, warnings } = mergeUserFile('src/account.ts', withPay, withCommands);
      expect(warnings).toEqual([expected(17)]);
      expect(text).toBe(withPay);
    });

    it('reports it at its place in the text as written when a stub and its import are added too', () => {
      const { text, added, warnings } = mergeUserFile('src/account.ts', withPay, {
        ...withCommands,
        handledEvents: ['Opened', 'Deposited'],
        members: merge.members,
      });
      expect(added).toEqual(['onDeposited', 'import Deposited']);
      const line = text.split('\n').findIndex((l) => l.startsWith('  pay(')) + 1;
      expect(line).toBe(18);
      expect(warnings).toEqual([expected(line)]);
    });

    it('reports an import of its type that no method takes, and says nothing of types still generated', () => {
      const importOnly = withPay.replace(/\n {2}\/\*\* Pays[\s\S]*?\n {2}\}\n/, '\n');
      const { warnings } = mergeUserFile('src/account.ts', importOnly, withCommands);
      expect(warnings).toEqual([
        'src/account.ts:5:3: AccountPayCommand is imported, but Account no longer declares command "pay" in the YAML, so AccountPayCommand is no longer generated and this file does not compile. Delete it from the import, and whatever uses it (or declare the command again).',
      ]);
      expect(mergeUserFile('src/account.ts', withPay, { ...withCommands, commandTypes: undefined }).warnings).toEqual(
        [],
      );
    });
  });

  it('returns the input unchanged when nothing is missing', () => {
    const once = mergeUserFile('src/account.ts', EXISTING, merge).text;
    const twice = mergeUserFile('src/account.ts', once, merge);
    expect(twice.text).toBe(once);
    expect(twice.added).toEqual([]);
  });

  it('adds missing handlers to an object literal of custom projection handlers', () => {
    const existing = `import type { Handlers } from '../generated/index.js';\n\nexport const statsHandlers: Handlers = {\n  async Cancelled(event, { db }) {\n    await db.deleteFrom('x').execute(); // mine\n  },\n};\n`;
    const { text, added, warnings } = mergeUserFile('src/stats.ts', existing, {
      container: { kind: 'object', variable: 'statsHandlers' },
      owner: 'Stats',
      members: [
        { name: 'Cancelled', text: 'async Cancelled() {}' },
        { name: 'Refunded', text: 'async Refunded(event, { db }) {\n  // TODO\n}' },
      ],
      imports: [{ from: '../generated/index.js', names: [{ name: 'Handlers', type: true }] }],
    });
    expect(added).toEqual(['Refunded']);
    expect(warnings).toEqual([]);
    expect(text).toContain("await db.deleteFrom('x').execute(); // mine");
    expect(text).toMatch(/async Refunded\(event, \{ db \}\) \{\n\s+\/\/ TODO\n\s+\}/);
  });

  it('puts a new command after the commands and a new handler after the handlers, not at the end', () => {
    const existing = EXISTING.replace(
      '  @handles(Frozen)',
      '  private helper(): number {\n    return 1;\n  }\n\n  @handles(Frozen)',
    ).replace(/\n\}\n$/, '\n\n  static describe(): string {\n    return "account";\n  }\n}\n');
    const { text, added } = mergeUserFile('src/account.ts', existing, {
      ...merge,
      members: [...merge.members, { name: 'close', text: 'close(): void {\n  throw new Error();\n}' }],
    });
    expect(added).toEqual(['onDeposited', 'close', 'import Deposited']);
    const order = ['open(', 'close(', '@handles(Opened)', 'helper(', '@handles(Frozen)', 'onDeposited(', 'describe('];
    const positions = order.map((needle) => text.indexOf(needle));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('wraps a merged import that outgrows the print width one name per line, as prettier does', () => {
    const long = 'AVeryLongEventNameNumberOne, AVeryLongEventNameNumberThree, AVeryLongEventNameNumberTwo';
    const existing = `import { ${long} } from '../generated/index.js';\n\nexport class Account {\n  open(): void {\n    new AVeryLongEventNameNumberFour();\n  }\n}\n`;
    const { text } = mergeUserFile('src/account.ts', existing, {
      container: { kind: 'class', name: 'Account' },
      owner: 'Account',
      members: [],
      imports: [{ from: '../generated/index.js', names: [{ name: 'AVeryLongEventNameNumberFour', type: false }] }],
    });
    expect(text).toContain(
      "import {\n  AVeryLongEventNameNumberFour,\n  AVeryLongEventNameNumberOne,\n  AVeryLongEventNameNumberThree,\n  AVeryLongEventNameNumberTwo,\n} from '../generated/index.js';\n",
    );
  });

  it('keeps the order of names the user did not sort, adding new ones at the end', () => {
    const existing = `import { Opened, Base } from '../generated/index.js';\n\nexport class Account extends Base {\n  open(): void {\n    Deposited;\n  }\n}\n`;
    const { text } = mergeUserFile('src/account.ts', existing, {
      container: { kind: 'class', name: 'Account' },
      owner: 'Account',
      members: [],
      imports: [{ from: '../generated/index.js', names: [{ name: 'Deposited', type: false }] }],
    });
    expect(text).toContain("import { Opened, Base, Deposited } from '../generated/index.js';");
  });

  it('adds no import that nothing in the file uses', () => {
    const { text, added } = mergeUserFile('src/account.ts', EXISTING, {
      ...merge,
      members: merge.members.filter((m) => m.name !== 'onDeposited'),
      imports: [...imports, { from: '@eventsmith/runtime', names: [{ name: 'handlerNotWritten', type: false }] }],
    });
    expect(added).toEqual([]);
    expect(text).toBe(EXISTING);
  });

  for (const [shape, existing] of [
    [
      'a function declaration',
      `export function statsHandlers(deps: Deps): Handlers {\n  const { db } = deps;\n  return {\n    async Cancelled() {\n      void db;\n    },\n  };\n}\n`,
    ],
    [
      'an arrow function returning an object',
      `export const statsHandlers = (deps: Deps): Handlers => ({\n  async Cancelled() {\n    void deps;\n  },\n});\n`,
    ],
  ] as const) {
    it(`adds missing custom projection handlers to a factory written as ${shape}`, () => {
      const { text, added, warnings } = mergeUserFile('src/stats.ts', existing, {
        container: { kind: 'object', variable: 'statsHandlers' },
        owner: 'Stats',
        members: [
          { name: 'Cancelled', text: 'async Cancelled() {}' },
          { name: 'Refunded', text: 'async Refunded(event, { db }) {\n  // TODO\n}' },
        ],
        imports: [],
      });
      expect(warnings).toEqual([]);
      expect(added).toEqual(['Refunded']);
      expect(text).toMatch(
        /async Cancelled\(\) \{\n\s+void (db|deps);\n\s+\},\n\s+async Refunded\(event, \{ db \}\) \{/,
      );
    });
  }

  it('merges again when the user edits the file between two runs with the same merge description', () => {
    const complete = mergeUserFile('src/account.ts', EXISTING, merge).text;
    expect(mergeUserFile('src/account.ts', complete, merge).added).toEqual([]);
    // The user deletes the stub that was added; the next run (same YAML, same description) restores it.
    const edited = complete.replace(/\n\n {2}@handles\(Deposited\)[\s\S]*?\n {2}\}\n/, '\n');
    expect(edited).not.toContain('onDeposited');
    const again = mergeUserFile('src/account.ts', edited, merge);
    expect(again.added).toEqual(['onDeposited']);
    expect(again.text).toContain('onDeposited(event: Deposited): State {');
  });

  it('warns instead of guessing when the class is gone', () => {
    const { text, warnings } = mergeUserFile('src/account.ts', 'export const x = 1;\n', { ...merge, imports: [] });
    expect(text).toBe('export const x = 1;\n');
    expect(warnings[0]).toContain('class Account was not found');
  });

  it('adds nothing to a file that does not parse, and names the first syntax error and what is missing', () => {
    // A helper left unclosed: TypeScript then reads the @handles methods as statements in its body.
    const broken = EXISTING.replace(
      '  @handles(Opened)',
      '  private isOpen(): boolean {\n    return true;\n\n  @handles(Opened)',
    );
    const result = mergeUserFile('src/account.ts', broken, merge);
    expect(result.text).toBe(broken);
    expect(result.added).toEqual([]);
    expect(result.error).toEqual({
      code: 'USER_FILE.SYNTAX',
      message: 'src/account.ts has a syntax error (Declaration expected), so eventsmith did not add onDeposited to it.',
      fix: expect.stringContaining('Fix the syntax error and run `eventsmith generate` again.'),
      where: { file: 'src/account.ts', line: 13, col: 19, path: '' },
    });
  });

  it('reports no error for a file that does not parse when nothing is missing from it', () => {
    const complete = `${EXISTING.replace('  @handles(Frozen)', '  private isOpen(): boolean {\n    return true;\n\n  @handles(Frozen)')}`;
    const result = mergeUserFile('src/account.ts', complete, {
      ...merge,
      members: merge.members.filter((m) => m.name !== 'onDeposited'),
      imports: [],
    });
    expect(result.error).toBeUndefined();
    expect(result.text).toBe(complete);
  });

  it('adds nothing to custom projection handlers that do not parse', () => {
    const broken = 'export const statsHandlers = {\n  onOpened: (row) => {\n    return row;\n  ,\n};\n';
    const result = mergeUserFile('src/stats.ts', broken, {
      container: { kind: 'object', variable: 'statsHandlers' },
      owner: 'Stats',
      members: [{ name: 'onClosed', text: 'onClosed: (row) => row' }],
      imports: [],
    });
    expect(result.text).toBe(broken);
    expect(result.error?.message).toBe(
      'src/stats.ts has a syntax error (Declaration or statement expected), so eventsmith did not add onClosed to it.',
    );
    expect(result.error?.where).toMatchObject({ file: 'src/stats.ts', line: 4 });
  });
});
