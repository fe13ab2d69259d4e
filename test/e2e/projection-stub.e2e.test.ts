/**
 * The stub `eventsmith generate` writes for a projection's `custom` handler does not compile until
 * it is written: the compiler's error is in the stub and names the projection and the event, like
 * an aggregate handler stub's. The type check runs in a child process (test/support/type-check.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libraryStubProject, type StubProject } from '../support/stub-project.js';

const MEMBER_LOANS = `projections:
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
  let project: StubProject;
  beforeAll(async () => {
    project = await libraryStubProject(MEMBER_LOANS);
  }, 60_000);
  afterAll(async () => project.remove());

  it('keeps the signature, fails to compile naming the handler until written, and says to pass it to the app', async () => {
    const stub = await project.read('src/projections/member-loans.ts');
    expect(stub).toContain('async BookBorrowed(event, { db }) {');
    expect(stub).toContain('createLibraryApp({');
    expect(stub).not.toContain('createLibraryProjections(');
    const found = await project.typeErrors();
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
    expect(await project.typeErrors({ 'src/projections/member-loans.ts': written })).toEqual([]);
  }, 300_000);
});
