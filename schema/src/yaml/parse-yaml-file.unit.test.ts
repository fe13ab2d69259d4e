import { describe, expect, it } from 'vitest';
import { loadDomain } from '../index.js';

const load = (text: string, limits?: Parameters<typeof loadDomain>[1]) => loadDomain([{ path: 'd.yaml', text }], limits);
const codes = (text: string, limits?: Parameters<typeof loadDomain>[1]) => {
  const result = load(text, limits);
  return result.ok ? [] : result.errors.map((e) => e.code);
};

describe('hostile and broken YAML', () => {
  it('refuses an alias bomb with a clear error', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) levels.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const result = load(`domain: Bomb\n${levels.join('\n')}\n`);
    expect(result).toMatchObject({ ok: false, errors: [{ code: 'YAML.ALIAS_LIMIT', where: { file: 'd.yaml', line: 1, col: 1 } }] });
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
    if (!result.ok) expect(result.errors.map((e) => `${e.where.file} ${e.code}`).sort()).toEqual(['bad.yaml YAML.SYNTAX', 'good.yaml SCHEMA.UNKNOWN_PROPERTY']);
  });
});
