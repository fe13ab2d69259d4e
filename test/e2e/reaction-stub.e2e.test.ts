/**
 * The stub `eventsmith generate` writes for a `run: custom` reaction does not compile until it is
 * written: the compiler's error is in the stub and names the reaction, like a handler stub's. The
 * type check runs in a child process (test/support/type-check.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libraryStubProject, type StubProject } from '../support/stub-project.js';

const NOTIFY = `reactions:
  Notify:
    when: BookBorrowed
    run: custom
`;

describe('the stub of a custom reaction', () => {
  let project: StubProject;
  beforeAll(async () => {
    project = await libraryStubProject(NOTIFY);
  }, 60_000);
  afterAll(async () => project.remove());

  it('fails to compile, naming the reaction, until its body is written', async () => {
    const stub = await project.read('src/reactions/notify.ts');
    expect(stub).toContain("return reactionNotWritten('Notify');");
    const found = await project.typeErrors();
    expect(found).toEqual([expect.stringMatching(/^src\/reactions\/notify\.ts: .*ReactionNotWritten<"Notify">/s)]);

    const written = stub.replace(
      "return reactionNotWritten('Notify');",
      'await context.commands.loan.borrow(event.aggregateId, { memberId: event.data.memberId });',
    );
    expect(written).not.toContain('reactionNotWritten(');
    expect(await project.typeErrors({ 'src/reactions/notify.ts': written })).toEqual([]);
  }, 300_000);
});
