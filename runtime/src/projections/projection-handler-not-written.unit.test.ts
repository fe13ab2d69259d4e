import { describe, expect, it } from 'vitest';
import { EventsmithError } from '../errors.js';
import { ProjectionHandlerNotWrittenError, projectionHandlerNotWritten } from './projection-handler-not-written.js';

describe('projectionHandlerNotWritten', () => {
  it('throws an error naming the handler when a stub runs anyway', () => {
    const run = () => projectionHandlerNotWritten('CustomerStats.OrderCancelled');
    expect(run).toThrow(ProjectionHandlerNotWrittenError);
    expect(run).toThrow(
      'The projection handler CustomerStats.OrderCancelled is not written yet: write its body in place of the stub.',
    );
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(EventsmithError);
      expect(error).toMatchObject({ code: 'PROJECTION.HANDLER_NOT_WRITTEN', handler: 'CustomerStats.OrderCancelled' });
    }
  });
});
