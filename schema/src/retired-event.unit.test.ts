import { describe, expect, it } from 'vitest';
import { BASE, expectOneError, modelOf } from '../test/support.js';

/** BASE with `from` replaced by `to` (which must occur exactly once). */
function edit(from: string, to: string): string {
  expect(BASE.split(from)).toHaveLength(2);
  return BASE.replace(from, to);
}

describe('retired: true on an event', () => {
  it('keeps the event in the model, marked retired (projections may still read it)', () => {
    const model = modelOf(
      edit('      Opened:\n        fields:', '      Opened:\n        retired: true\n        fields:'),
    );
    expect(model.events.find((e) => e.name === 'Opened')).toMatchObject({ retired: true });
    expect(model.events.find((e) => e.name === 'Deposited')).toMatchObject({ retired: false });
  });

  it('is refused in a command’s emits, at the name', () => {
    const text = edit('      Deposited:\n        fields:', '      Deposited:\n        retired: true\n        fields:');
    const error = expectOneError(
      text,
      'EVENT.RETIRED',
      'Deposited',
      'emits: ',
      'aggregates.Account.commands.deposit.emits',
    );
    expect(error.message).toContain('"Deposited" is retired');
  });

  it('must be a boolean (JSON Schema)', () => {
    expectOneError(
      edit('      Opened:\n        fields:', '      Opened:\n        retired: soon\n        fields:'),
      'SCHEMA.TYPE',
      'soon',
      undefined,
      'aggregates.Account.events.Opened.retired',
    );
  });
});
