import { describe, expect, it } from 'vitest';
import { BusHeader } from './bus-message.js';
import { DeadLetterHeader, deadLetterStamp, decodeDeadLetter } from './dead-letter-headers.js';

const body = Buffer.from('{"amount":"10.00"}');
const envelope = {
  [BusHeader.eventId]: 'e-1',
  [BusHeader.eventType]: 'Deposited',
  [BusHeader.aggregateType]: 'Account',
  [BusHeader.aggregateId]: 'a-1',
};

describe('decodeDeadLetter', () => {
  it('reads back what deadLetterStamp wrote, with the envelope headers and the body', () => {
    const headers: Record<string, string> = { ...envelope, ...deadLetterStamp('handler-failed', 'Error: boom', 3) };
    const letter = decodeDeadLetter('reporting', 'dl-1', headers, body);
    expect(letter).toEqual({
      id: 'dl-1',
      group: 'reporting',
      reason: 'handler-failed',
      error: 'Error: boom',
      attempts: 3,
      payload: '{"amount":"10.00"}',
      eventId: 'e-1',
      eventType: 'Deposited',
      aggregateType: 'Account',
      aggregateId: 'a-1',
      deadLetteredAt: new Date(headers[DeadLetterHeader.at]!),
    });
    expect(Number.isNaN(letter.deadLetteredAt.getTime())).toBe(false);
  });

  it('reads a message without dead-letter headers (a foreign producer) as undecodable, one attempt, at the epoch', () => {
    const letter = decodeDeadLetter('reporting', 'dl-2', {}, body);
    expect(letter).toMatchObject({ reason: 'undecodable', error: '', attempts: 1, deadLetteredAt: new Date(0) });
    expect(letter.eventType).toBeUndefined();
  });

  it('reads a reason it does not know as undecodable', () => {
    const headers = { ...deadLetterStamp('unknown-event-type', 'x', 1), [DeadLetterHeader.reason]: 'exploded' };
    expect(decodeDeadLetter('g', 'id', headers, body).reason).toBe('undecodable');
  });
});

describe('deadLetterStamp', () => {
  it('cuts a long error to 8,000 characters and marks the cut', () => {
    const error = decodeDeadLetter('g', 'id', deadLetterStamp('handler-failed', 'x'.repeat(20_000), 1), body).error;
    expect(error).toBe(`${'x'.repeat(8_000)}…`);
  });
});
