import { describe, expect, it } from 'vitest';
import { BASE, errorsOf, expectOneError, modelOf } from '../../test/support.js';

/** BASE with a second aggregate and `reactions:` appended, keeping the YAML valid. */
function domain(reactions: string): string {
  const [before, projections] = BASE.split('projections:\n') as [string, string];
  return `${before}  Order:
    state: { placed: boolean }
    events:
      Placed:
        fields:
          accountId: string
          note: string?
          amount: decimal
          lines: { type: list, items: { type: object, fields: { sku: string, quantity: integer } } }
projections:
${projections}reactions:
${reactions}`;
}

describe('reactions', () => {
  it('builds a declarative reaction with its target, parameters and forEach', () => {
    const model = modelOf(
      domain(`  DepositOnPlaced:
    description: Every order pays into its account.
    when: Order.Placed
    run: Account.deposit
    to: data.accountId
    with: { amount: data.amount }
  PerLine:
    when: Placed
    forEach: data.lines
    run: Account.deposit
    to: item.sku
    with: { amount: data.amount }
  Notify:
    when: Placed
    run: custom
`),
    );
    expect(model.reactions.map((r) => r.name)).toEqual(['DepositOnPlaced', 'Notify', 'PerLine']);
    expect(model.reactions[0]).toMatchObject({
      kind: 'DeclarativeReactionNode',
      event: 'Placed',
      aggregate: 'Account',
      command: 'deposit',
      target: { kind: 'EventFieldExpr', path: ['accountId'] },
      params: [{ kind: 'ReactionParamNode', name: 'amount', value: { kind: 'EventFieldExpr', path: ['amount'] } }],
    });
    expect(model.reactions[1]).toMatchObject({ kind: 'CustomReactionNode', event: 'Placed' });
    expect(model.reactions[2]).toMatchObject({
      forEach: { kind: 'EventFieldExpr', path: ['lines'] },
      target: { kind: 'ItemExpr', path: ['sku'] },
      params: [{ value: { kind: 'EventFieldExpr', path: ['amount'] } }],
    });
    expect(model.reactions[0]!.source.path).toBe('reactions.DepositOnPlaced');
  });

  it('refuses an unknown event at the `when` value, with did-you-mean', () => {
    const text = domain('  R:\n    when: Plaaced\n    run: custom\n');
    const error = expectOneError(text, 'REACTION.UNKNOWN_EVENT', 'Plaaced', undefined, 'reactions.R.when');
    expect(error.message).toBe('Unknown event "Plaaced". Did you mean "Placed"?');
  });

  it('refuses an event named with the wrong aggregate', () => {
    const text = domain('  R:\n    when: Account.Placed\n    run: custom\n');
    const error = expectOneError(text, 'REACTION.UNKNOWN_EVENT', 'Account.Placed');
    expect(error.fix).toContain('`when: Order.Placed`');
  });

  it('refuses an unknown command at the `run` value', () => {
    const text = domain('  R:\n    when: Placed\n    run: Account.depositt\n    to: data.accountId\n');
    const error = expectOneError(text, 'REACTION.UNKNOWN_COMMAND', 'Account.depositt');
    expect(error.message).toBe('Aggregate "Account" has no command "depositt". Did you mean "deposit"?');
  });

  it('refuses an unknown aggregate at the `run` value', () => {
    const text = domain('  R:\n    when: Placed\n    run: Acount.deposit\n    to: data.accountId\n');
    const error = expectOneError(text, 'REACTION.UNKNOWN_COMMAND', 'Acount.deposit');
    expect(error.message).toContain('Did you mean "Account"?');
  });

  it('refuses an unknown parameter at its key, and a required one left out', () => {
    const text = domain(
      '  R:\n    when: Placed\n    run: Account.deposit\n    to: data.accountId\n    with: { amont: data.amount }\n',
    );
    const errors = errorsOf(text);
    expect(errors.map((e) => e.code)).toEqual(['REACTION.MISSING_PARAM', 'REACTION.UNKNOWN_PARAM']);
    expect(errors[0]!.message).toContain('needs parameter "amount"');
    expect(errors[0]!.where.path).toBe('reactions.R.with');
    expect(errors[1]!.message).toContain('has no parameter "amont". Did you mean "amount"?');
    expect(errors[1]!.where.path).toBe('reactions.R.with.amont');
  });

  it('refuses an unknown event field, a type mismatch and an optional value for a required parameter', () => {
    const base = '  R:\n    when: Placed\n    run: Account.deposit\n    to: data.accountId\n    with: { amount: ';
    expectOneError(domain(`${base}data.amout }\n`), 'REACTION.UNKNOWN_FIELD', 'data.amout');
    const mismatch = expectOneError(domain(`${base}data.lines }\n`), 'REACTION.TYPE_MISMATCH', 'data.lines }', 'R:');
    expect(mismatch.message).toContain('Parameter "amount" of Account.deposit is a decimal');
    const absent = expectOneError(domain(`${base}data.note }\n`), 'REACTION.TYPE_MISMATCH', 'data.note }', 'R:');
    expect(absent.message).toBe('data.note may be absent, but parameter "amount" of Account.deposit is required.');
  });

  it('checks literals against the parameter type', () => {
    const base = '  R:\n    when: Placed\n    run: Account.deposit\n    to: data.accountId\n    with: { amount: ';
    expect(modelOf(domain(`${base}{ value: "10.50" } }\n`)).reactions).toHaveLength(1);
    expectOneError(domain(`${base}{ value: ten } }\n`), 'REACTION.TYPE_MISMATCH', '{ value: ten }');
  });

  it('refuses `item` without forEach, and forEach over a field that is not a list', () => {
    const base = '  R:\n    when: Placed\n    run: Account.deposit\n';
    expectOneError(
      domain(`${base}    to: item.sku\n    with: { amount: data.amount }\n`),
      'REACTION.UNKNOWN_FIELD',
      'item.sku',
    );
    expectOneError(
      domain(`${base}    forEach: data.accountId\n    to: data.accountId\n    with: { amount: data.amount }\n`),
      'REACTION.TYPE_MISMATCH',
      'data.accountId',
      'forEach',
    );
  });

  it('refuses `to`, `with` or `forEach` on a custom reaction, and a declarative one without `to`', () => {
    expectOneError(
      domain('  R:\n    when: Placed\n    run: custom\n    to: data.accountId\n'),
      'TYPE.MISPLACED_PROPERTY',
      'to:',
    );
    expectOneError(domain('  R:\n    when: Placed\n    run: Account.deposit\n'), 'SCHEMA.REQUIRED', 'R:');
  });

  it('explains a malformed `run` and a malformed expression', () => {
    const run = expectOneError(
      domain('  R:\n    when: Placed\n    run: deposit\n    to: data.accountId\n'),
      'SCHEMA.PATTERN',
      'deposit',
      'run',
    );
    expect(run.fix).toContain('`Aggregate.command`');
    const expr = expectOneError(
      domain(
        '  R:\n    when: Placed\n    run: Account.deposit\n    to: accountId\n    with: { amount: data.amount }\n',
      ),
      'SCHEMA.PATTERN',
      'accountId',
      'to:',
    );
    expect(expr.fix).toContain('`data.accountId`');
  });

  it('shares the top-level namespace', () => {
    const text = domain('  Account:\n    when: Placed\n    run: custom\n');
    expect(errorsOf(text).map((e) => e.code)).toEqual(['DOMAIN.DUPLICATE_NAME']);
  });
});
