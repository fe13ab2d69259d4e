import { describe, expect, it } from 'vitest';
import { CommandError, EventsmithError } from '../errors.js';
import { CommandNotWrittenError, commandNotWritten } from './command-not-written.js';

describe('commandNotWritten', () => {
  it('throws a typed error naming the command, outside the CommandError family (it is a bug, not a refusal)', () => {
    const error = (() => {
      try {
        commandNotWritten('TodoList.archive');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CommandNotWrittenError);
    expect(error).toBeInstanceOf(EventsmithError);
    expect(error).not.toBeInstanceOf(CommandError);
    expect(error).toMatchObject({ code: 'COMMAND.NOT_WRITTEN', command: 'TodoList.archive' });
    expect((error as Error).message).toBe(
      'TodoList.archive is not written yet: write its body in the aggregate class (check this.state, then raise its events) in place of the commandNotWritten call.',
    );
  });
});
