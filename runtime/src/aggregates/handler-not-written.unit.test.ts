import { describe, expect, it } from 'vitest';
import { EventsmithError } from '../errors.js';
import { HandlerNotWrittenError, handlerNotWritten } from './handler-not-written.js';

describe('handlerNotWritten', () => {
  it('throws an error naming the handler when a stub runs anyway', () => {
    const run = () => handlerNotWritten('BankAccount.onMoneyDeposited');
    expect(run).toThrow(HandlerNotWrittenError);
    expect(run).toThrow('BankAccount.onMoneyDeposited is not written yet: return the state after its event.');
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(EventsmithError);
      expect(error).toMatchObject({ code: 'HANDLER.NOT_WRITTEN', handler: 'BankAccount.onMoneyDeposited' });
    }
  });
});
