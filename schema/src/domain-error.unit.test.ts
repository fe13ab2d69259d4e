import { describe, expect, it } from 'vitest';
import {
  domainError,
  domainErrorsToJson,
  formatDomainError,
  formatDomainErrors,
  loadDomain,
  sortDomainErrors,
} from './index.js';

const at = (file: string, line: number, col: number, path = 'types.X') => ({ file, line, col, path });

describe('formatting domain errors', () => {
  it('formats one error as file:line:col, message, path with code, fix and related places', () => {
    const error = domainError(
      'DOMAIN.DUPLICATE_NAME',
      '"X" is already declared as a type.',
      'Rename one of them.',
      at('b.yaml', 4, 3),
      [at('a.yaml', 2, 3)],
    );
    expect(formatDomainError(error)).toBe(
      [
        'b.yaml:4:3  "X" is already declared as a type.',
        '  at types.X  [DOMAIN.DUPLICATE_NAME]',
        '  fix: Rename one of them.',
        '  see: a.yaml:2:3 (types.X)',
      ].join('\n'),
    );
  });

  it('sorts by file and position and counts the errors', () => {
    const errors = [
      domainError('TYPE.UNKNOWN', 'second', 'f', at('b.yaml', 1, 1)),
      domainError('TYPE.UNKNOWN', 'third', 'f', at('b.yaml', 10, 2)),
      domainError('TYPE.UNKNOWN', 'first', 'f', at('a.yaml', 9, 9)),
    ];
    expect(sortDomainErrors(errors).map((e) => e.message)).toEqual(['first', 'second', 'third']);
    const text = formatDomainErrors(errors);
    expect(text.indexOf('first')).toBeLessThan(text.indexOf('second'));
    expect(text.endsWith('3 errors in domain YAML.')).toBe(true);
  });

  it('emits the same errors as JSON for tools', () => {
    const result = loadDomain([
      { path: 'd.yaml', text: 'domain: J\naggregates:\n  A:\n    events:\n      E: { fields: { x: Strng } }\n' },
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const parsed = JSON.parse(domainErrorsToJson(result.errors)) as { errors: unknown[] };
    expect(parsed.errors).toEqual([
      {
        code: 'TYPE.UNKNOWN',
        message: expect.stringContaining('Did you mean "string"?'),
        fix: expect.stringContaining('types:'),
        where: { file: 'd.yaml', line: 5, col: 25, path: 'aggregates.A.events.E.fields.x' },
      },
    ]);
  });
});
