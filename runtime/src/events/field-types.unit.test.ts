import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AggregateRoot } from '../aggregates/aggregate-root.js';
import { EventValidationError } from '../errors.js';
import { defineEvent } from './domain-event.js';
import { toEventRecord, type EventRecord } from './event-record.js';
import { EventRegistry } from './event-registry.js';
import { fields } from './field-types.js';

const DATE_MESSAGE = 'must be a calendar date such as 2024-01-31 (YYYY-MM-DD)';
const DATETIME_MESSAGE =
  'must be an ISO 8601 date-time with an offset, such as 2024-03-01T10:11:12Z or 2024-03-01T10:11:12+02:00';

const messages = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error?.issues.map((i) => i.message);

class InvoiceIssued extends defineEvent({
  type: 'InvoiceIssued',
  schema: z.object({ number: z.string(), issuedOn: fields.date(), dueOn: fields.date().optional() }),
}) {}
const registry = EventRegistry.create({ events: [InvoiceIssued] });

/** The stored record of an invoice issued on `day`, as a row written before dates were checked would read. */
const storedWith = (day: string): EventRecord => {
  const record = toEventRecord(new InvoiceIssued({ number: 'F-1', issuedOn: '2024-01-31' }, { aggregateId: 'i-1' }));
  const data = { number: 'F-1', issuedOn: day, dueOn: day };
  return JSON.parse(JSON.stringify({ ...record, data })) as EventRecord;
};

describe('fields.date()', () => {
  it.each(['2024-02-29', '2000-02-29', '2023-01-31', '2023-12-31', '2023-04-30'])('accepts %s', (day) => {
    expect(fields.date().parse(day)).toBe(day);
  });

  it.each(['2023-02-29', '1900-02-29', '2024-02-30', '2024-13-45', '2024-00-10', '2024-04-31', '2024-01-00'])(
    'refuses %s, a day that does not exist, saying what it expects',
    (day) => {
      expect(messages(fields.date(), day)).toEqual([DATE_MESSAGE]);
    },
  );

  it('refuses text that is no date at all with the same message', () => {
    expect(messages(fields.date(), '31.01.2024')).toEqual([DATE_MESSAGE]);
  });

  it('refuses an impossible date when an event is built, at the field path', () => {
    let error: unknown;
    try {
      new InvoiceIssued({ number: 'F-1', issuedOn: '2024-02-30' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).issues).toEqual([{ path: 'issuedOn', message: DATE_MESSAGE }]);
  });

  it('still reads an event stored with an impossible date, on the compiled and the zod path', () => {
    expect(registry.decodeOwned(storedWith('2024-02-30')).data).toMatchObject({ issuedOn: '2024-02-30' });
    expect(registry.decode(storedWith('2024-13-45')).data).toMatchObject({ issuedOn: '2024-13-45' });
    // A key the schema does not know sends the compiled decoder to zod, which reads it as stored too.
    const withOldKey = storedWith('2023-02-29');
    (withOldKey.data as Record<string, unknown>)['removed'] = 1;
    expect(registry.decodeOwned(withOldKey).data).toEqual({
      number: 'F-1',
      issuedOn: '2023-02-29',
      dueOn: '2023-02-29',
    });
  });

  it('still refuses a stored payload that is not YYYY-MM-DD, and checks new values again after a read', () => {
    expect(() => registry.decode(storedWith('January 31st'))).toThrow(EventValidationError);
    registry.decode(storedWith('2024-02-30'));
    expect(() => new InvoiceIssued({ number: 'F-2', issuedOn: '2024-02-30' })).toThrow(EventValidationError);
  });

  it('restores a snapshot whose state holds an impossible date', () => {
    class Invoice extends AggregateRoot<{ issuedOn: string }> {
      static override readonly aggregateType = 'Invoice';
      static override readonly stateSchema = z.object({ issuedOn: fields.date() });
      protected initialState() {
        return { issuedOn: '2024-01-01' };
      }
    }
    const invoice = new Invoice('i-1');
    invoice.restoreSnapshot({ issuedOn: '2024-02-30' }, 3);
    expect(invoice.state.issuedOn).toBe('2024-02-30');
    expect(() => fields.date().parse('2024-02-30')).toThrow();
  });
});

describe('fields.datetime()', () => {
  it.each([
    ['without an offset', '2024-03-01T10:11:12'],
    ['as a date only', '2024-03-01'],
    ['on a day that does not exist', '2024-02-30T10:11:12Z'],
    ['as a number', 1_709_287_872_000],
    ['as an invalid Date', new Date(Number.NaN)],
  ])('refuses a value %s, saying what it expects', (_name, value) => {
    expect(messages(fields.datetime(), value)).toEqual([DATETIME_MESSAGE]);
  });

  it.each(['2024-03-01T10:11:12Z', '2024-03-01T10:11:12+02:00', '2024-03-01T10:11:12.345-05:30'])(
    'accepts %s',
    (text) => {
      expect(fields.datetime().parse(text)).toEqual(new Date(text));
    },
  );
});
