/**
 * The stub `eventsmith generate` writes for a projection's `custom` handler does not compile until
 * it is written: the compiler's error is in the stub and names the projection and the event, like
 * an aggregate handler stub's. The type check runs in a child process (test/support/type-check.ts).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { typeCheck } from '../support/type-check.js';
import { REPO, tempProject, tsFiles, type TempProject } from '../support/temp-project.js';

const LIBRARY = `domain: Library
aggregates:
  Loan:
    state: { memberId: uuid? }
    commands:
      borrow: { params: { memberId: uuid }, emits: BookBorrowed }
    events:
      BookBorrowed: { fields: { memberId: uuid } }
projections:
  MemberLoans:
    table: member_loans
    columns:
      member_id: uuid
      loans: { type: integer, default: 0 }
    primaryKey: member_id
    on:
      BookBorrowed: custom
`;

describe('the stub of a custom projection handler', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await tempProject({ 'library.yaml': LIBRARY });
    const generated = await project.run('generate', '--config', project.config);
    expect(generated.status, generated.err).toBe(0);
    // The aggregate's handler stubs written, so that only the projection's stub is left.
    const loan = await project.read('src/aggregates/loan.ts');
    await project.write(
      'src/aggregates/loan.ts',
      loan.replace(/return handlerNotWritten\('[\w.]+'\);/g, 'return { ...this.state };'),
    );
  }, 60_000);
  afterAll(async () => project.remove());

  /** The project's type errors (`path: message`), with `overrides` in place of the files' text. */
  async function errors(overrides: Record<string, string> = {}): Promise<string[]> {
    const files = (await tsFiles(project.root)).map((f) => join(project.root, f));
    const found = await typeCheck({
      tsconfig: { extends: join(REPO, 'tsconfig.base.json'), compilerOptions: { noEmit: true }, files },
      basePath: project.root,
      overrides: Object.fromEntries(Object.entries(overrides).map(([f, text]) => [join(project.root, f), text])),
      reportUnder: [project.root],
    });
    return found.map((d) => `${d.file.slice(project.root.length + 1)}: ${d.message}`);
  }

  it('keeps the signature, fails to compile naming the handler until written, and says to pass it to the app', async () => {
    const stub = await project.read('src/projections/member-loans.ts');
    expect(stub).toContain('async BookBorrowed(event, { db }) {');
    expect(stub).toContain('createLibraryApp({');
    expect(stub).not.toContain('createLibraryProjections(');
    const found = await errors();
    expect(found).toEqual([
      expect.stringMatching(/^src\/projections\/member-loans\.ts: .*"MemberLoans\.BookBorrowed"/s),
    ]);

    const written = stub.replace(
      /return projectionHandlerNotWritten\('MemberLoans\.BookBorrowed'\);/,
      `await db
      .updateTable('member_loans')
      .set((eb) => ({ loans: eb('loans', '+', 1) }))
      .where('member_id', '=', event.data.memberId)
      .execute();`,
    );
    expect(written).not.toContain('projectionHandlerNotWritten(');
    expect(await errors({ 'src/projections/member-loans.ts': written })).toEqual([]);
  }, 300_000);
});
