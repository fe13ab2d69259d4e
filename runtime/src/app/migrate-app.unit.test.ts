import { describe, expect, it } from 'vitest';
import { AppMigrationError } from './migrate-app.js';

describe('AppMigrationError', () => {
  it('joins a cause that ends a sentence into one message, without a doubled period', () => {
    const cause = new Error('"x_idx" exists but is not the index. Drop or rename it, then migrate again.');
    const error = new AppMigrationError({ steps: [] }, { tables: 'event store' }, undefined, cause);
    expect(error.message).toBe(
      'Migrating the event store tables failed: "x_idx" exists but is not the index. Drop or rename it, then migrate again. Nothing was applied before it.',
    );
  });

  it('ends a cause without a period with one, and lists what was applied before it', () => {
    const error = new AppMigrationError(
      { steps: [{ tables: 'event store', applied: ['0001_event_store'] }] },
      { tables: 'projections', domain: 'bank' },
      '0002_accounts',
      new Error('column "x" already exists'),
    );
    expect(error.message).toBe(
      'Migrating the projections tables of bank failed at 0002_accounts: column "x" already exists. Already applied: 0001_event_store.',
    );
  });
});
