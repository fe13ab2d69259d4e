import { describe, expect, it } from 'vitest';
import { BASE, errorsOf, expectOneError, modelOf } from '../../test/support.js';

/** BASE with `field` (a line under `fields:`) added to Deposited. */
function withField(field: string): string {
  const from = '          note: string?\nprojections:';
  expect(BASE.split(from)).toHaveLength(2);
  return BASE.replace(from, `          note: string?\n${field}\nprojections:`);
}

describe('event fields filled from the state (`from: state.<field>`)', () => {
  it('takes the state field type and records the reference', () => {
    const model = modelOf(withField('          owner: { from: state.owner }'));
    const deposited = model.events.find((e) => e.name === 'Deposited')!;
    const owner = deposited.fields.find((f) => f.name === 'owner')!;
    expect(owner.type).toEqual({ kind: 'ScalarType', name: 'string' });
    expect(owner.optional).toBe(false);
    expect(owner.from).toMatchObject({ kind: 'StateRefNode', field: 'owner' });
    expect(owner.from!.source.path).toBe('aggregates.Account.events.Deposited.fields.owner.from');
    // A plain field has no reference.
    expect(deposited.fields.find((f) => f.name === 'amount')!.from).toBeUndefined();
  });

  it('accepts a stated type equal to the state field, and `?` makes the event field optional', () => {
    const model = modelOf(withField('          current: { type: decimal?, from: state.balance }'));
    const field = model.events.find((e) => e.name === 'Deposited')!.fields.find((f) => f.name === 'current')!;
    expect(field).toMatchObject({ optional: true, type: { kind: 'ScalarType', name: 'decimal' } });
  });

  it('refuses an unknown state field at the `from` value, with did-you-mean and the choices', () => {
    const text = withField('          owner: { from: state.ownr }');
    const error = expectOneError(
      text,
      'EVENT.UNKNOWN_STATE_FIELD',
      'state.ownr',
      undefined,
      'aggregates.Account.events.Deposited.fields.owner.from',
    );
    expect(error.message).toContain('Aggregate "Account" has no state field "ownr". Did you mean "owner"?');
    expect(error.fix).toContain('"balance", "owner"');
  });

  it('refuses a stated type that differs from the state field', () => {
    const text = withField('          owner: { type: integer, from: state.owner }');
    const error = expectOneError(text, 'EVENT.STATE_TYPE_MISMATCH', 'state.owner');
    expect(error.message).toBe('Field "owner" has type integer, but state.owner has type string.');
  });

  it('refuses a reference that is not `state.<field>`, saying how to write it', () => {
    const text = withField('          owner: { from: owner }');
    const error = expectOneError(text, 'SCHEMA.PATTERN', 'owner }', 'owner: { from');
    expect(error.fix).toContain('`from: state.owner`');
  });

  it('is refused outside an event (command parameters), as an unknown property', () => {
    const text = BASE.replace('params: { amount: decimal }', 'params: { amount: { from: state.balance } }');
    expect(errorsOf(text).map((e) => e.code)).toContain('SCHEMA.UNKNOWN_PROPERTY');
  });

  it('does not take a default', () => {
    const text = withField('          owner: { from: state.owner, default: x }');
    expectOneError(text, 'SCHEMA.UNKNOWN_PROPERTY', 'default', 'from: state.owner');
  });
});
