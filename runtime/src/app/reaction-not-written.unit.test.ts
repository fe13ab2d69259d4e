import { describe, expect, it } from 'vitest';
import { EventsmithError } from '../errors.js';
import { ReactionNotWrittenError, reactionNotWritten } from './reaction-not-written.js';

describe('reactionNotWritten', () => {
  it('throws an error naming the reaction when a stub runs anyway', () => {
    const run = () => reactionNotWritten('NotifyCustomer');
    expect(run).toThrow(ReactionNotWrittenError);
    expect(run).toThrow('The reaction NotifyCustomer is not written yet: write its body in place of the stub.');
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(EventsmithError);
      expect(error).toMatchObject({ code: 'REACTION.NOT_WRITTEN', reaction: 'NotifyCustomer' });
    }
  });
});
