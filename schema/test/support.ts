import { expect } from 'vitest';
import { loadDomain, type DomainError, type DomainModel, type DomainSourceFile } from '../src/index.js';

/** Position of the first occurrence of `needle` in `text` (after `after`, if given), 1-based. */
export function positionOf(text: string, needle: string, after?: string): { line: number; col: number } {
  const start = after === undefined ? 0 : text.indexOf(after);
  if (start < 0) throw new Error(`anchor not found: ${after}`);
  const offset = text.indexOf(needle, start);
  if (offset < 0) throw new Error(`needle not found: ${needle}`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: before[before.length - 1]!.length + 1 };
}

/** Loads and expects failure; returns the errors. */
export function errorsOf(files: DomainSourceFile[] | string): readonly DomainError[] {
  const result = loadDomain(typeof files === 'string' ? [{ path: 'domain.yaml', text: files }] : files);
  if (result.ok) throw new Error('expected the domain to be invalid');
  return result.errors;
}

/** Loads and expects success. */
export function modelOf(files: DomainSourceFile[] | string): DomainModel {
  const result = loadDomain(typeof files === 'string' ? [{ path: 'domain.yaml', text: files }] : files);
  if (!result.ok)
    throw new Error(
      `expected a valid domain, got:\n${result.errors.map((e) => `${e.code} ${e.where.line}:${e.where.col} ${e.message}`).join('\n')}`,
    );
  return result.value;
}

/** Expects exactly one error with `code`, at the position of `needle` (searched after `after`). */
export function expectOneError(text: string, code: string, needle: string, after?: string, path?: string): DomainError {
  const errors = errorsOf(text);
  expect(errors.map((e) => e.code)).toEqual([code]);
  const error = errors[0]!;
  expect({ line: error.where.line, col: error.where.col }).toEqual(positionOf(text, needle, after));
  expect(error.where.file).toBe('domain.yaml');
  if (path !== undefined) expect(error.where.path).toBe(path);
  expect(error.message.length).toBeGreaterThan(10);
  expect(error.fix.length).toBeGreaterThan(10);
  return error;
}

/** A small valid domain used as a base for error cases. */
export const BASE = `domain: Test
types:
  Currency: { enum: [EUR, USD] }
  Money:
    fields:
      amount: decimal
      currency: Currency
aggregates:
  Account:
    snapshot: { every: 10 }
    state:
      owner: string
      balance: decimal
    commands:
      deposit:
        params: { amount: decimal }
        emits: Deposited
    events:
      Opened:
        fields:
          owner: string
          limit: Money?
      Deposited:
        fields:
          amount: decimal
          note: string?
projections:
  Balances:
    columns:
      account_id: string
      owner: string
      balance: { type: decimal, default: "0" }
      note: text?
    primaryKey: account_id
    on:
      Opened:
        insert: { account_id: meta.aggregateId, owner: data.owner }
      Deposited:
        update:
          where: { account_id: meta.aggregateId }
          set: { balance: { increment: data.amount }, note: data.note }
`;
