import { describe, expect, it } from 'vitest';
import { EventsmithError } from '../errors.js';
import { UpcasterNotWrittenError, upcasterNotWritten } from './upcaster-not-written.js';

describe('upcasterNotWritten', () => {
  it('throws an error naming the upcaster when a stub runs anyway', () => {
    const run = () => upcasterNotWritten('PaymentAuthorized v1 → v2');
    expect(run).toThrow(UpcasterNotWrittenError);
    expect(run).toThrow('The upcaster PaymentAuthorized v1 → v2 is not written yet');
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(EventsmithError);
      expect(error).toMatchObject({ code: 'UPCAST.NOT_WRITTEN', upcaster: 'PaymentAuthorized v1 → v2' });
    }
  });
});
