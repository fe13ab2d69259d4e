import { describe, expect, it } from 'vitest';
import { EventVersionTooNewError } from '../errors.js';
import { Position } from '../store/position.js';
import { ProjectionDeadLetteredError, type ProjectionDeadLetter } from './app-errors.js';

const at = Position.of('store-1', 7);

function parked(error: string): ProjectionDeadLetter {
  return {
    name: 'cart-totals',
    deadLetterId: 'dl-1',
    status: 'pending',
    eventId: 'e-1',
    eventType: 'ItemAdded',
    streamId: 'Cart-c1',
    position: at,
    error,
  };
}

describe('ProjectionDeadLetteredError', () => {
  it('for an event an older version parked because its schema version was too new, says so and how to re-deliver it', () => {
    const cause = new EventVersionTooNewError('ItemAdded', 3, 2);
    const error = new ProjectionDeadLetteredError(at, [
      parked(`UndecodableEventError: Cannot decode stored event ItemAdded v3: ${cause.message}`),
    ]);
    expect(error.message).not.toMatch(/Deploy the newer event definition/);
    expect(error.message).toMatch(
      /a process running an older version of the app \(it knew ItemAdded only up to v2\) parked this v3 event without delivering it/,
    );
    expect(error.message).toMatch(/`eventsmith dlq retry <id>` run by the newer version of the app/);
  });

  it('for a handler failure, gives the handler error and the usual fix', () => {
    const error = new ProjectionDeadLetteredError(at, [parked('Error: Only 0 of MUG left')]);
    expect(error.message).toMatch(/\(dead letter dl-1\): Error: Only 0 of MUG left\./);
    expect(error.message).toMatch(/^cart-totals did not apply every event up to .*; fix the handler, then re-deliver/s);
    expect(error.message).not.toMatch(/older version/);
  });
});
