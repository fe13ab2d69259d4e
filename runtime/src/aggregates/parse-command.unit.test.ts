import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CommandError, CommandRejectedError, CommandValidationError, EventsmithError } from '../errors.js';
import { fields } from '../events/field-types.js';
import { parseCommand } from './parse-command.js';

const openSchema = z.object({
  ownerName: z.string(),
  initialDeposit: fields.decimal(),
  currency: z.enum(['EUR', 'USD']).prefault('EUR'),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive() })).default([]),
});
const target = { aggregate: 'BankAccount', command: 'open' };

describe('parseCommand', () => {
  it('applies the declared defaults', () => {
    const command = parseCommand(openSchema, { ownerName: 'Alice', initialDeposit: '10.00' }, target);
    expect(command).toEqual({ ownerName: 'Alice', initialDeposit: '10.00', currency: 'EUR', lines: [] });
  });

  it('keeps values that were given', () => {
    expect(parseCommand(openSchema, { ownerName: 'A', initialDeposit: '1', currency: 'USD' }, target).currency).toBe(
      'USD',
    );
  });

  it('reports every failing field with its dotted path, naming the aggregate and command', () => {
    let error: unknown;
    try {
      parseCommand(openSchema, { ownerName: 7, initialDeposit: 'ten', lines: [{ sku: 'A', quantity: -1 }] }, target);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CommandValidationError);
    const invalid = error as CommandValidationError;
    expect(invalid.code).toBe('COMMAND.INVALID');
    expect(invalid.aggregateType).toBe('BankAccount');
    expect(invalid.command).toBe('open');
    expect(invalid.issues.map((i) => i.path)).toEqual(['ownerName', 'initialDeposit', 'lines.0.quantity']);
    expect(invalid.message).toMatch(/^Invalid parameters for BankAccount\.open: ownerName: /);
  });

  it('treats a missing input as no parameters', () => {
    expect(parseCommand(z.object({}), undefined, { aggregate: 'Order', command: 'confirmDelivery' })).toEqual({});
    expect(() => parseCommand(openSchema, undefined, target)).toThrow(CommandValidationError);
  });

  it('puts validation and rejection in one family that callers catch as CommandError', () => {
    const rejected = new CommandRejectedError('Insufficient funds.', { balance: '1' });
    const invalid = new CommandValidationError('BankAccount', 'open', [{ path: 'amount', message: 'Required' }]);
    for (const error of [rejected, invalid]) {
      expect(error).toBeInstanceOf(CommandError);
      expect(error).toBeInstanceOf(EventsmithError);
    }
    expect(rejected.code).toBe('COMMAND.REJECTED');
    expect(rejected.name).toBe('CommandRejectedError');
    expect(invalid.name).toBe('CommandValidationError');
  });
});
