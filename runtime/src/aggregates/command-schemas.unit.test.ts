import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CommandError, CommandValidationError } from '../errors.js';
import { defineEvent } from '../events/domain-event.js';
import { fields } from '../events/field-types.js';
import { AggregateRoot } from './aggregate-root.js';
import { handles } from './handles.js';

class Opened extends defineEvent({
  type: 'Opened',
  schema: z.object({ owner: z.string(), currency: z.string(), accountId: fields.uuid() }),
}) {}

const openSchema = z.object({
  owner: z.string().min(1),
  currency: z.string().default('EUR'),
  accountId: fields.uuid(),
});

/** What a generated base declares: its commands' schemas. */
abstract class AccountBase extends AggregateRoot<{ currency: string }> {
  static override readonly aggregateType = 'Account';
  static override readonly commandSchemas = { open: openSchema };
  protected initialState() {
    return { currency: '' };
  }
}

class Account extends AccountBase {
  seen: unknown[] = [];
  open(command: z.output<typeof openSchema>): void {
    this.seen.push(command);
    this.raise(new Opened(command));
  }
  rename(name: string): string {
    return name;
  }
  @handles(Opened)
  onOpened(event: Opened) {
    return { currency: event.data.currency };
  }
}

const id = '0190a0b4-4a4e-7c3d-8f2a-00000000c001';

describe('AggregateRoot.commandSchemas', () => {
  it('calls a listed command with its parameters parsed and the defaults applied', () => {
    const account = new Account('a-1');
    account.open({ owner: 'Ada', accountId: id } as never);
    expect(account.seen).toEqual([{ owner: 'Ada', currency: 'EUR', accountId: id }]);
    expect(account.state.currency).toBe('EUR');
  });

  it('refuses bad input before the method runs, with every failing field, in the command error family', () => {
    const account = new Account('a-2');
    let error: unknown;
    try {
      account.open({ owner: '', accountId: 'not-a-uuid' } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CommandValidationError);
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toMatchObject({ aggregateType: 'Account', command: 'open' });
    expect((error as CommandValidationError).issues.map((i) => i.path)).toEqual(['owner', 'accountId']);
    expect(account.seen).toEqual([]);
    expect(account.uncommittedEvents).toEqual([]);
  });

  it('leaves methods that are not listed as they are', () => {
    expect(new Account('a-3').rename('x')).toBe('x');
  });

  it('names the field and what it expects for a date or date-time that is not one', () => {
    const scheduleSchema = z.object({ issuedOn: fields.date(), dueAt: fields.datetime() });
    abstract class InvoiceBase extends AggregateRoot<object> {
      static override readonly aggregateType = 'Invoice';
      static override readonly commandSchemas = { schedule: scheduleSchema };
      protected initialState() {
        return {};
      }
    }
    class Invoice extends InvoiceBase {
      schedule(command: z.output<typeof scheduleSchema>): z.output<typeof scheduleSchema> {
        return command;
      }
    }
    let error: unknown;
    try {
      new Invoice('i-1').schedule({ issuedOn: '2024-02-30', dueAt: '2024-03-01T10:11:12' } as never);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CommandValidationError);
    expect((error as CommandValidationError).issues).toEqual([
      { path: 'issuedOn', message: 'must be a calendar date such as 2024-01-31 (YYYY-MM-DD)' },
      {
        path: 'dueAt',
        message:
          'must be an ISO 8601 date-time with an offset, such as 2024-03-01T10:11:12Z or 2024-03-01T10:11:12+02:00',
      },
    ]);
    expect(
      new Invoice('i-2').schedule({ issuedOn: '2024-02-29', dueAt: '2024-03-01T10:11:12+02:00' } as never),
    ).toEqual({
      issuedOn: '2024-02-29',
      dueAt: new Date('2024-03-01T08:11:12Z'),
    });
  });
});
