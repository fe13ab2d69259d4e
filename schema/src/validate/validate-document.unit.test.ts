import { describe, expect, it } from 'vitest';
import { loadDomain } from '../index.js';

const errorsOf = (text: string) => {
  const result = loadDomain([{ path: 'd.yaml', text }]);
  return result.ok ? [] : result.errors.map((e) => [`${e.where.line}:${e.where.col}`, e.code, e.message, e.fix]);
};

describe('a key left empty with the keys meant for it at its own indentation', () => {
  it('is one error at the empty key, naming the keys and saying to indent them', () => {
    const text = [
      'domain: Bank',
      'aggregates:',
      '  Account:',
      '    state: { balance: decimal }',
      '    events:',
      '      Opened:',
      '        version: 2',
      '        fields: { owner: string, balance: decimal }',
      '        history:',
      '          1:',
      '            fields:',
      '            owner: string',
      '            balance: number',
      '            upcast:',
      '              - convert: { field: balance, using: numberToDecimal }',
      '',
    ].join('\n');
    expect(errorsOf(text)).toEqual([
      [
        '11:13',
        'SCHEMA.TYPE',
        '"fields" is empty, and the keys below it ("owner", "balance") are at its indentation, so they are read as properties of version 1 of event "Opened".',
        'Indent them under `fields:` (two more spaces), or write `fields: {}` if it is meant to be empty.',
      ],
    ]);
  });

  it('takes only the unknown keys right below it: an unknown key after a known one is reported as usual', () => {
    const text = [
      'domain: Bank',
      'aggregates:',
      '  Account:',
      '    state:',
      '    balance: decimal',
      '    events:',
      '      Opened: { fields: { owner: string } }',
      '    snapshots: { every: 10 }',
      '',
    ].join('\n');
    expect(errorsOf(text).map(([at, code, message]) => [at, code, message])).toEqual([
      [
        '4:5',
        'SCHEMA.TYPE',
        '"state" is empty, and the key below it ("balance") is at its indentation, so it is read as a property of aggregate "Account".',
      ],
      [
        '8:5',
        'SCHEMA.UNKNOWN_PROPERTY',
        'Unknown property "snapshots" in aggregate "Account". Did you mean "snapshot"?',
      ],
    ]);
  });
});
