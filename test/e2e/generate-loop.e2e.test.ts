/**
 * The loop a team lives in: edit YAML → regenerate → compile → run, in a temp copy of the bank
 * example, with hand-written handler bodies that must survive every regeneration.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AggregateRepository,
  CommandNotWrittenError,
  CommandRejectedError,
  InMemoryEventStore,
  type EventRegistry,
} from '@eventsmith/runtime';
import {
  bankDomain,
  copyBankAccount,
  tempProject,
  tsFiles,
  typeCheck,
  type TempProject,
} from '../support/temp-project.js';

const INTEREST = `
      InterestPaid:
        description: Interest was credited.
        fields:
          amount: decimal
          rate: number
`;

describe('edit → regenerate → compile → run', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await tempProject(await bankDomain());
  });
  afterAll(async () => project.remove());

  it('generates, keeps hand-written bodies through a YAML change, compiles and runs', async () => {
    const first = await project.run('generate', '--config', project.config);
    expect(first.status, first.err).toBe(0);
    expect(first.out).toContain('created src/aggregates/bank-account.ts');

    // The user fills in the skeleton (here: the example's finished class).
    await copyBankAccount(project);
    const handWritten = await project.read('src/aggregates/bank-account.ts');
    const depositBody = 'return { ...this.state, balance: add(this.state.balance, event.data.amount) };';
    expect(handWritten).toContain(depositBody);

    // A new event and a new command in the YAML.
    const yaml = (await project.read('domain/bank-account.yaml'))
      .replace('    events:\n', `    events:\n${INTEREST}`)
      .replace(
        '      close:\n',
        '      payInterest:\n        params: { rate: number }\n        emits: InterestPaid\n      close:\n',
      );
    await project.write('domain/bank-account.yaml', yaml);
    const second = await project.run('generate', '--config', project.config);
    expect(second.status, second.err).toBe(0);
    expect(second.out).toMatch(/updated src\/aggregates\/bank-account\.ts \(added .*payInterest.*onInterestPaid/);

    const merged = await project.read('src/aggregates/bank-account.ts');
    // Every line the user wrote below the imports is still there, untouched and in order; the
    // additions land beside their kind: the command after the commands, the handler after the handlers.
    const body = (text: string) => text.slice(text.indexOf('\n/**')).split('\n');
    const mine = body(handWritten);
    let kept = 0;
    for (const line of body(merged)) if (line === mine[kept]) kept++;
    expect(kept).toBe(mine.length);
    expect(merged.indexOf('payInterest(')).toBeLessThan(merged.indexOf('@handles('));
    expect(merged.lastIndexOf('@handles(')).toBe(merged.indexOf('@handles(InterestPaid)'));
    expect(merged).toContain('@handles(InterestPaid)');
    expect(merged).toMatch(/onInterestPaid\(event: InterestPaid\): BankAccountState/);
    expect(merged).toMatch(/payInterest\(command: BankAccountPayInterestCommand\): void/);
    expect(merged).toMatch(/import \{[^}]*InterestPaid[^}]*\} from '..\/..\/generated\/index.js'/s);

    // A third run changes nothing.
    const third = await project.run('generate', '--config', project.config);
    expect(third.out).toContain('up to date');
    expect(await project.read('src/aggregates/bank-account.ts')).toBe(merged);

    // The inserted handler stub fails to compile, naming the handler, until its body is written.
    const files = [...(await tsFiles(project.root)), 'decimal.ts'];
    expect(typeCheck(project.root, files)).toEqual([
      expect.stringMatching(
        /^src\/aggregates\/bank-account\.ts:\d+ .*HandlerNotWritten<"BankAccount\.onInterestPaid">/,
      ),
    ]);
    const stub = "return handlerNotWritten('BankAccount.onInterestPaid');";
    expect(merged).toContain(stub);
    await project.write('src/aggregates/bank-account.ts', merged.replace(stub, 'return { ...this.state };'));
    // Then it compiles under the repository's strict settings.
    expect(typeCheck(project.root, files)).toEqual([]);

    // And it runs: the hand-written handlers do the work, the new command is a stub.
    const generated = (await import(pathToFileURL(join(project.root, 'generated/index.ts')).href)) as {
      createBankRegistry(): EventRegistry;
    };
    const { BankAccount } = (await import(
      pathToFileURL(join(project.root, 'src/aggregates/bank-account.ts')).href
    )) as {
      BankAccount: (new (id: string) => { state: { balance: string } }) & {
        aggregateType: string;
        stateVersion: number;
      };
    };
    const store = new InMemoryEventStore({ registry: generated.createBankRegistry() });
    type Account = InstanceType<typeof BankAccount> & {
      open(c: { ownerName: string; initialDeposit: string }): void;
      deposit(c: { amount: string }): void;
      withdraw(c: { amount: string }): void;
      payInterest(c: { rate: number }): void;
    };
    const accounts = new AggregateRepository(store, BankAccount as never) as unknown as {
      update(id: string, fn: (a: Account) => void, options?: { create?: boolean }): Promise<Account>;
    };
    await accounts.update('a-1', (a) => a.open({ ownerName: 'Ada', initialDeposit: '10.00' }), { create: true });
    const after = await accounts.update('a-1', (a) => a.deposit({ amount: '2.50' }));
    expect(after.state.balance).toBe('12.5');
    await expect(accounts.update('a-1', (a) => a.withdraw({ amount: '100' }))).rejects.toBeInstanceOf(
      CommandRejectedError,
    );
    // The new command's stub compiles and throws the typed not-written error, like a handler stub.
    const notWritten = await accounts.update('a-1', (a) => a.payInterest({ rate: 0.01 })).catch((e: unknown) => e);
    expect(notWritten).toBeInstanceOf(CommandNotWrittenError);
    expect(notWritten).toMatchObject({ code: 'COMMAND.NOT_WRITTEN', command: 'BankAccount.payInterest' });
    expect((notWritten as Error).message).toContain('BankAccount.payInterest is not written yet: write its body');
  }, 180_000);
});
