import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findViolations, importsOf, sourceFiles, type SourceFile } from './dependency-rules.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

describe('dependency direction', () => {
  it('holds in the repository: runtime/ stands alone and its folders are layered; generated/ and examples/ use only @eventsmith/runtime', () => {
    const files = sourceFiles(root, ['runtime', 'generated', 'examples']);
    expect(files.some((f) => f.path.startsWith('runtime/src/'))).toBe(true);
    const violations = findViolations(files);
    expect(violations.map((v) => `${v.file}:${v.line} imports "${v.specifier}": ${v.rule}`)).toEqual([]);
  });
});

describe('generator structure', () => {
  it('holds in the repository: emitter folders import no other target, watch/ and generate-project.ts no CLI', () => {
    const files = sourceFiles(root, ['generator/src']);
    expect(files.some((f) => f.path.startsWith('generator/src/emit/events/'))).toBe(true);
    const violations = findViolations(files);
    expect(violations.map((v) => `${v.file}:${v.line} imports "${v.specifier}": ${v.rule}`)).toEqual([]);
  });
});

describe('the import scanner', () => {
  const file = (path: string, source: string): SourceFile => ({ path, source });

  it('finds static, type-only, re-exported, dynamic and require imports with their lines', () => {
    const found = importsOf(
      file(
        'runtime/src/x.ts',
        [
          "import { a } from './a.js';",
          "import type { B } from '@eventsmith/schema';",
          "export * from '../c.js';",
          'const d = await import("@eventsmith/generator/cli");',
          "const e = require('e');",
        ].join('\n'),
      ),
    );
    expect(found).toEqual([
      { specifier: './a.js', line: 1 },
      { specifier: '@eventsmith/schema', line: 2 },
      { specifier: '../c.js', line: 3 },
      { specifier: '@eventsmith/generator/cli', line: 4 },
      { specifier: 'e', line: 5 },
    ]);
  });

  it('flags runtime/ importing generator/ or schema/, by package name or by path', () => {
    const violations = findViolations([
      file(
        'runtime/src/events/bad.ts',
        "import { loadDomain } from '@eventsmith/schema';\nimport type { X } from '../../../generator/src/x.js';",
      ),
      file('runtime/src/store/ok.ts', "import { z } from 'zod';\nimport { a } from '../events/a.js';"),
    ]);
    expect(violations).toEqual([
      expect.objectContaining({ file: 'runtime/src/events/bad.ts', line: 1, specifier: '@eventsmith/schema' }),
      expect.objectContaining({
        file: 'runtime/src/events/bad.ts',
        line: 2,
        rule: 'runtime/ must not import generator/',
      }),
    ]);
  });

  it('flags generated/ and examples/ importing @eventsmith/* other than the runtime, or reaching around it', () => {
    const violations = findViolations([
      file(
        'generated/bank/events.ts',
        "import { AggregateRoot } from '@eventsmith/runtime';\nimport { x } from '@eventsmith/runtime/testing';",
      ),
      file(
        'generated/bank/bad.ts',
        "import { emit } from '@eventsmith/generator';\nimport { a } from '../../runtime/src/index.js';",
      ),
      file('generated/bank/worse.ts', "import { b } from '../../examples/bank/main.js';"),
      file(
        'examples/bank/main.ts',
        "import { BankAccount } from '../../generated/bank/index.js';\nimport { y } from './y.js';",
      ),
      file('examples/bank/bad.ts', "export { s } from '@eventsmith/schema';"),
    ]);
    expect(violations.map((v) => [v.file, v.specifier])).toEqual([
      ['generated/bank/bad.ts', '@eventsmith/generator'],
      ['generated/bank/bad.ts', '../../runtime/src/index.js'],
      ['generated/bank/worse.ts', '../../examples/bank/main.js'],
      ['examples/bank/bad.ts', '@eventsmith/schema'],
    ]);
  });

  it('holds the layers inside runtime/src: imports point down only, folders of one layer do not import each other', () => {
    const violations = findViolations([
      file(
        'runtime/src/store/ok.ts',
        "import { a } from '../events/a.js';\nimport { b } from './sql/b.js';\nimport { e } from '../errors.js';",
      ),
      file('runtime/src/projections/up.ts', "import type { S } from '../subscriptions/subscription-options.js';"),
      file('runtime/src/store/sql/up.ts', "import { c } from '../../testing/collect.js';"),
      file('runtime/src/retry/side.ts', "import { t } from '../telemetry/tracing.js';"),
      file('runtime/src/events/new.ts', "import { n } from '../newfolder/n.js';"),
    ]);
    expect(violations.map((v) => [v.file, v.specifier])).toEqual([
      ['runtime/src/projections/up.ts', '../subscriptions/subscription-options.js'],
      ['runtime/src/store/sql/up.ts', '../../testing/collect.js'],
      ['runtime/src/retry/side.ts', '../telemetry/tracing.js'],
      ['runtime/src/events/new.ts', '../newfolder/n.js'],
    ]);
    expect(violations[3]!.rule).toMatch(/in no layer/);
  });

  it('lets only tests and test support in runtime/src import vitest, and frees them from the layers', () => {
    const violations = findViolations([
      file('runtime/src/store/sql/checks.ts', "import { expect } from 'vitest';"),
      file('runtime/src/testing/suite.ts', "import { expect } from 'vitest';\nimport { A } from '../aggregates/a.js';"),
      file(
        'runtime/src/store/x.int.test.ts',
        "import { it } from 'vitest';\nimport { m } from '../subscriptions/sql/subscription-tables.js';",
      ),
      file('runtime/src/subscriptions/test-support/s.ts', "import { vi } from 'vitest';"),
    ]);
    expect(violations.map((v) => [v.file, v.specifier])).toEqual([['runtime/src/store/sql/checks.ts', 'vitest']]);
  });

  it('flags an emitter folder importing another target, and watch/ or generate-project.ts importing cli/', () => {
    const violations = findViolations([
      file('generator/src/emit/events/emit-registry.ts', "import { stepNames } from '../upcasters/emit-upcasters.js';"),
      file('generator/src/emit/aggregates/a.ts', "import { emitDomain } from '../index.js';"),
      file('generator/src/watch/watch-project.ts', "import { loadConfig } from '../cli/config.js';"),
      file('generator/src/generate-project.ts', "import type { CliError } from './cli/cli-error.js';"),
      file(
        'generator/src/emit/events/ok.ts',
        "import { eventNames } from '../common/names.js';\nimport type { Emitter } from '../emitter.js';\nimport { x } from './emit-events.js';",
      ),
      file('generator/src/emit/emitters.ts', "import { eventsEmitter } from './events/index.js';"),
      file('generator/src/emit/events/x.unit.test.ts', "import { emitDomain } from '../index.js';"),
      file('generator/src/cli/main.ts', "import { loadConfig } from '../config/config.js';"),
    ]);
    expect(violations.map((v) => [v.file, v.specifier])).toEqual([
      ['generator/src/emit/events/emit-registry.ts', '../upcasters/emit-upcasters.js'],
      ['generator/src/emit/aggregates/a.ts', '../index.js'],
      ['generator/src/watch/watch-project.ts', '../cli/config.js'],
      ['generator/src/generate-project.ts', './cli/cli-error.js'],
    ]);
    expect(violations[0]!.rule).toMatch(/emit\/common\/names\.ts/);
  });

  it('does not police other folders', () => {
    expect(
      findViolations([
        file('generator/src/x.ts', "import '@eventsmith/schema';\nimport './cli/main.js';"),
        file('test/x.ts', "import '@eventsmith/generator';"),
      ]),
    ).toEqual([]);
  });
});
