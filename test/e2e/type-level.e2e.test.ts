/**
 * Type-level guarantees of the generated API, checked with the compiler on a temp project:
 * a handler stub does not compile until its body is written, an aggregate missing a handler
 * does not compile (the errors name the handler), and a custom upcaster stub, or one with the
 * wrong signature, does not compile.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bankDomain,
  tempProject,
  tsFiles,
  typeCheck,
  writeHandlerStubs,
  type TempProject,
} from '../support/temp-project.js';

const CUSTOM = `domain: Ledger
aggregates:
  Entry:
    state: { amount: decimal }
    events:
      Booked:
        version: 2
        fields: { amount: decimal, currency: string }
        history:
          1:
            fields: { cents: integer }
            upcast: custom
`;

describe('type-level: generated contracts the compiler enforces', () => {
  let bank: TempProject;
  let ledger: TempProject;
  beforeAll(async () => {
    bank = await tempProject(await bankDomain());
    ledger = await tempProject({ 'ledger.yaml': CUSTOM });
    expect((await bank.run('generate', '--config', bank.config)).status).toBe(0);
    expect((await ledger.run('generate', '--config', ledger.config)).status).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await bank.remove();
    await ledger.remove();
  });

  it('an untouched handler stub fails to compile, naming its handler, until its body is written', async () => {
    const skeleton = await bank.read('src/aggregates/bank-account.ts');
    const handlers = [...skeleton.matchAll(/return handlerNotWritten\('(BankAccount\.on\w+)'\);/g)].map((m) => m[1]!);
    expect(handlers).toContain('BankAccount.onMoneyDeposited');
    const errors = typeCheck(bank.root, await tsFiles(bank.root));
    // One error per stub, in the skeleton, each naming its handler.
    expect(errors).toHaveLength(handlers.length);
    for (const handler of handlers) {
      expect(errors.filter((e) => e.includes(`HandlerNotWritten<"${handler}">`))).toEqual([
        expect.stringMatching(/^src\/aggregates\/bank-account\.ts:\d+ /),
      ]);
    }
    // The same class with the bodies written compiles.
    await bank.write('src/aggregates/bank-account.ts', writeHandlerStubs(skeleton));
    expect(typeCheck(bank.root, await tsFiles(bank.root))).toEqual([]);
    await bank.write('src/aggregates/bank-account.ts', skeleton);
  }, 120_000);

  it('an aggregate missing a handler fails to compile, naming the event', async () => {
    const skeleton = writeHandlerStubs(await bank.read('src/aggregates/bank-account.ts'));
    const start = skeleton.indexOf('  @handles(MoneyWithdrawn)');
    const end = skeleton.indexOf('  @handles(AccountClosed)');
    expect(start).toBeGreaterThan(0);
    await bank.write('src/aggregates/bank-account.ts', skeleton.slice(0, start) + skeleton.slice(end));
    const errors = typeCheck(bank.root, await tsFiles(bank.root));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(/bank-account\.ts:\d+ .*onMoneyWithdrawn/);
    expect(errors.every((e) => e.includes('onMoneyWithdrawn'))).toBe(true);
    await bank.write('src/aggregates/bank-account.ts', skeleton);
  }, 120_000);

  it('the custom upcaster stub has the v1 → v2 signature and fails to compile, naming it, until written; a wrong one does not compile', async () => {
    await ledger.write('src/aggregates/entry.ts', writeHandlerStubs(await ledger.read('src/aggregates/entry.ts')));
    const stub = await ledger.read('src/upcasters/booked-v1-to-v2.ts');
    expect(stub).toMatch(/export const bookedV1ToV2: BookedV1ToV2 = \(data, record\) =>/);
    // Like a handler stub: an app built with it would otherwise fail on the first v1 event it reads.
    expect(typeCheck(ledger.root, await tsFiles(ledger.root))).toEqual([
      expect.stringMatching(/^src\/upcasters\/booked-v1-to-v2\.ts:\d+ .*UpcasterNotWritten<"Booked v1 → v2">/s),
    ]);

    const right = stub.replace(/=> \{[\s\S]*\n\};/, "=> ({ amount: String(data.cents / 100), currency: 'EUR' });");
    await ledger.write('src/upcasters/booked-v1-to-v2.ts', right);
    expect(typeCheck(ledger.root, await tsFiles(ledger.root))).toEqual([]);

    const wrongInput = stub.replace(/=> \{[\s\S]*\n\};/, "=> ({ amount: data.amount, currency: 'EUR' });");
    await ledger.write('src/upcasters/booked-v1-to-v2.ts', wrongInput);
    expect(typeCheck(ledger.root, await tsFiles(ledger.root)).join('\n')).toMatch(
      /Property 'amount' does not exist on type 'BookedV1'/,
    );

    const wrongOutput = stub.replace(/=> \{[\s\S]*\n\};/, '=> ({ amount: data.cents });');
    await ledger.write('src/upcasters/booked-v1-to-v2.ts', wrongOutput);
    expect(typeCheck(ledger.root, await tsFiles(ledger.root)).join('\n')).toMatch(
      /booked-v1-to-v2\.ts:\d+ .*(not assignable|missing)/,
    );
  }, 120_000);
});
