import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { errorsOf, modelOf, BASE } from '../test/support.js';
import { loadDomain, loadDomainFromFiles, type DomainSourceFile } from './index.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const exampleFiles = (name: string): DomainSourceFile[] => {
  const dir = `examples/${name}/domain`;
  return readdirSync(`${root}${dir}`)
    .sort()
    .map((f) => ({ path: `${dir}/${f}`, text: readFileSync(`${root}${dir}/${f}`, 'utf8') }));
};

describe('loadDomain', () => {
  it('loads the bank example into an immutable model', () => {
    const model = modelOf(exampleFiles('bank'));
    expect(model.kind).toBe('DomainModel');
    expect(model.name).toBe('Bank');
    expect(model.sources.map((s) => s.path)).toEqual([
      'examples/bank/domain/account-summary.yaml',
      'examples/bank/domain/bank-account.yaml',
    ]);
    expect(model.events.map((e) => e.name)).toEqual([
      'AccountClosed',
      'AccountOpened',
      'MoneyDeposited',
      'MoneyWithdrawn',
    ]);

    const opened = model.events.find((e) => e.name === 'AccountOpened')!;
    expect(opened).toMatchObject({
      kind: 'EventNode',
      aggregate: 'BankAccount',
      version: 2,
      renamedFrom: ['BankAccountCreated'],
    });
    expect(opened.history).toHaveLength(1);
    const v1 = opened.history[0]!;
    expect(v1.version).toBe(1);
    expect(v1.upcast).toMatchObject({
      kind: 'DeclarativeUpcastNode',
      steps: [
        { kind: 'AddFieldStep', field: 'currency', value: { kind: 'LiteralExpr', value: 'EUR' } },
        { kind: 'ConvertStep', field: 'initialBalance', conversion: 'numberToDecimal' },
      ],
    });
    expect(opened.source).toMatchObject({
      file: 'examples/bank/domain/bank-account.yaml',
      path: 'aggregates.BankAccount.events.AccountOpened',
    });

    const account = model.aggregates[0]!;
    expect(account.snapshot?.every).toBe(50);
    expect(account.state.map((s) => [s.name, s.initial])).toEqual([
      ['ownerName', ''],
      ['balance', '0'],
      ['currency', 'EUR'],
      ['status', 'pending'],
      ['closedAt', undefined],
    ]);
    expect(account.commands.map((c) => `${c.name}:${c.emits.join(',')}`)).toEqual([
      'open:AccountOpened',
      'deposit:MoneyDeposited',
      'withdraw:MoneyWithdrawn',
      'close:AccountClosed',
    ]);

    const summary = model.projections[0]!;
    expect(summary.table).toBe('account_summary');
    expect(summary.indexes.map((i) => i.name)).toEqual([
      'account_summary_owner_name_idx',
      'account_summary_status_opened_at_idx',
    ]);
    const deposited = summary.handlers.find((h) => h.event === 'MoneyDeposited')!;
    expect(deposited).toMatchObject({
      kind: 'DeclarativeHandlerNode',
      operation: {
        kind: 'UpdateOperation',
        where: [{ column: 'account_id', value: { kind: 'MetadataExpr', key: 'aggregateId' } }],
        set: [
          { column: 'balance', value: { kind: 'IncrementExpr', by: { kind: 'EventFieldExpr', path: ['amount'] } } },
          { column: 'deposit_count', value: { kind: 'IncrementExpr', by: { kind: 'LiteralExpr', value: 1 } } },
          { column: 'last_version', value: { kind: 'MetadataExpr', key: 'aggregateVersion' } },
        ],
      },
    });

    expect(Object.isFrozen(model)).toBe(true);
    expect(Object.isFrozen(model.events)).toBe(true);
    expect(Object.isFrozen(opened.history[0]!.fields[0]!.source)).toBe(true);
    expect(() => (model.events as unknown as unknown[]).push(1)).toThrow(TypeError);
  });

  it('loads the shop example: custom upcaster, custom handlers, nest/rename/convert/addField steps', () => {
    const model = modelOf(exampleFiles('shop'));
    const unfrozen: string[] = [];
    const walk = (v: unknown, p: string) => {
      if (typeof v !== 'object' || v === null) return;
      if (!Object.isFrozen(v)) unfrozen.push(p);
      for (const [k, c] of Object.entries(v)) walk(c, `${p}.${k}`);
    };
    walk(model, 'model');
    expect(unfrozen).toEqual([]);
    expect(model.aggregates.map((a) => a.name)).toEqual(['InventoryItem', 'Order', 'Payment']);
    expect(model.types.map((t) => `${t.kind}:${t.name}`)).toContain('ValueObjectNode:Money');
    const payment = model.events.find((e) => e.name === 'PaymentAuthorized')!;
    expect(payment.history[0]!.upcast.kind).toBe('CustomUpcastNode');
    const placed = model.events.find((e) => e.name === 'OrderPlaced')!;
    expect(
      placed.history.map((h) => h.upcast.kind === 'DeclarativeUpcastNode' && h.upcast.steps.map((s) => s.kind)),
    ).toEqual([['RenameFieldStep', 'ConvertStep'], ['NestStep']]);
    const discontinued = model.events.find((e) => e.name === 'ItemDiscontinued')!;
    expect(discontinued.history[0]!.upcast).toMatchObject({
      steps: [{ kind: 'AddFieldStep', value: { kind: 'MetadataExpr', key: 'occurredAt' } }],
    });
    const custom = model.projections.flatMap((p) =>
      p.handlers.filter((h) => h.kind === 'CustomHandlerNode').map((h) => `${p.name}.${h.event}`),
    );
    expect(custom).toEqual([
      'CustomerStats.OrderCancelled',
      'DailyRevenue.PaymentCaptured',
      'DailyRevenue.PaymentRefunded',
    ]);
    const daily = model.projections.find((p) => p.name === 'DailyRevenue')!;
    expect(daily.primaryKey).toEqual(['revenue_day', 'currency']);
    const failed = model.projections
      .find((p) => p.name === 'PaymentLedger')!
      .handlers.find((h) => h.event === 'PaymentFailed')!;
    expect(failed).toMatchObject({ operation: { kind: 'UpsertOperation', conflictColumns: ['payment_id'] } });
  });

  it('merges several files by name and reports a duplicate across files at both places', () => {
    const types = { path: 'types.yaml', text: 'domain: Split\ntypes:\n  Currency: { enum: [EUR] }\n' };
    const account = {
      path: 'account.yaml',
      text: 'domain: Split\naggregates:\n  Account:\n    events:\n      Opened:\n        fields: { currency: Currency }\n',
    };
    const view = {
      path: 'view.yaml',
      text: 'domain: Split\nprojections:\n  Overview:\n    columns: { id: string, currency: string }\n    primaryKey: id\n    on:\n      Opened: { insert: { id: meta.aggregateId, currency: data.currency } }\n',
    };
    const model = modelOf([types, account, view]);
    expect(model.sources.map((s) => s.path)).toEqual(['types.yaml', 'account.yaml', 'view.yaml']);
    expect(model.events[0]!.source.file).toBe('account.yaml');
    expect(model.projections[0]!.source.file).toBe('view.yaml');

    const again = { path: 'again.yaml', text: 'domain: Split\ntypes:\n  Currency: { enum: [USD] }\n' };
    const errors = errorsOf([types, account, view, again]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: 'DOMAIN.DUPLICATE_NAME',
      where: { file: 'again.yaml', line: 3, col: 3, path: 'types.Currency' },
      related: [{ file: 'types.yaml', line: 3, col: 3 }],
    });
  });

  it('reports files that belong to another domain', () => {
    const errors = errorsOf([
      { path: 'a.yaml', text: 'domain: One\n' },
      { path: 'b.yaml', text: '# comment\ndomain: Two\n' },
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'DOMAIN.NAME_MISMATCH', where: { file: 'b.yaml', line: 2, col: 9 } });
  });

  it('reports every problem of every file in one run', () => {
    const errors = errorsOf([
      { path: 'a.yaml', text: BASE.replace('amount: decimal\n          note', 'amount: decimel\n          note') },
      {
        path: 'b.yaml',
        text: 'domain: Test\nprojections:\n  Other:\n    columns: { id: string }\n    primaryKey: idd\n    on: { Nope: custom }\n',
      },
    ]);
    expect(errors.map((e) => `${e.where.file} ${e.code}`)).toEqual([
      'a.yaml TYPE.UNKNOWN',
      'b.yaml PROJECTION.UNKNOWN_COLUMN',
      'b.yaml PROJECTION.UNKNOWN_EVENT',
    ]);
  });

  it('refuses an empty file list and reads files from disk', async () => {
    expect(loadDomain([])).toMatchObject({ ok: false, errors: [{ code: 'FILE.NONE' }] });
    const bank = await loadDomainFromFiles(exampleFiles('bank').map((f) => `${root}${f.path}`));
    expect(bank.ok).toBe(true);
    const missing = await loadDomainFromFiles([`${root}examples/bank/domain/nope.yaml`]);
    expect(missing).toMatchObject({ ok: false, errors: [{ code: 'FILE.READ', where: { line: 1, col: 1 } }] });
  });
});
