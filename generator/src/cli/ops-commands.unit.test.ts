import { describe, expect, it } from 'vitest';
import { errorLine } from './ops-commands.js';

describe("dlq retry's error line", () => {
  it('prefixes the first line of the error once, also for an error pg names "error"', () => {
    expect(errorLine('ProjectionRowExistsError: Projection "P" cannot insert\n    at x')).toBe(
      'error: ProjectionRowExistsError: Projection "P" cannot insert',
    );
    expect(errorLine('error: relation "todo_items" does not exist')).toBe(
      'error: relation "todo_items" does not exist',
    );
    expect(errorLine('')).toBe('error: ');
  });
});
