/** The examples run end to end on the committed generated code (in-memory store, so runs never share a file). */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO } from '../support/temp-project.js';

const run = async (script: string) =>
  (
    await promisify(execFile)(process.execPath, ['--import', 'tsx', join(REPO, script), '--store', 'memory'], {
      cwd: REPO,
    })
  ).stdout;

describe('examples', () => {
  it('bank: commands on the app facade, invalid parameters, a rejected overdraft, history, balance and the projected read model', async () => {
    const out = await run('examples/bank/main.ts');
    expect(out).toContain(
      'Rejected by the aggregate: Insufficient funds: the balance is 85.5, the withdrawal 1000.00.',
    );
    expect(out).toMatch(/v1 AccountOpened\s+\{"ownerName":"Alice","initialBalance":"100.00","currency":"EUR"\}/);
    expect(out).toContain('Invalid command: amount must be a decimal string such as "10.25"');
    expect(out).toContain('Balance: 85.50 EUR (status open, version 3)');
    expect(out).toMatch(/acc-1001 {2}Alice {2}85\.50 EUR {2}deposits=1 withdrawals=1 {2}open {2}v3/);
  }, 60_000);

  it('shop: orders, stock and payments on the app facade, a reaction across aggregates, custom upcaster and projection handlers', async () => {
    const out = await run('examples/shop/main.ts');
    expect(out).toContain('Rejected: Only 8 of MUG-1 are free; 50 were asked for.');
    expect(out).toMatch(/"customer_id":"[^"]+","orders_placed":2,"orders_cancelled":1/);
    expect(out).toMatch(/"currency":"EUR","captured":25,"refunded":12\.5/);
    expect(out).toMatch(/"order_id":"0190a0b4-4a4e-7c3d-8f2a-0000000000a1"[^\n]*"status":"delivered"/);
    // The ReserveStock reaction reserved the placed orders' mugs, caused by the order event, in its correlation.
    expect(out).toMatch(
      /StockReserved \{"orderId":"0190a0b4-4a4e-7c3d-8f2a-0000000000a1","quantity":2\}, caused by OrderPlaced \S+, correlation checkout-1/,
    );
    expect(out).toMatch(/"sku":"MUG-1","on_hand":10,"reserved":4/);
  }, 60_000);
});
