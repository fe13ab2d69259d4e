/**
 * A generated project for a test of one user-file stub: the Library domain (a Loan aggregate whose
 * `borrow` emits BookBorrowed) plus the YAML under test, generated, with the Loan handler stubs
 * written, so that the stub under test is the only code that does not compile.
 */
import { join } from 'node:path';
import { REPO, tempProject, tsFiles, writeHandlerStubs, type TempProject } from './temp-project.js';
import { typeCheck } from './type-check.js';

const LIBRARY = `domain: Library
aggregates:
  Loan:
    state: { memberId: uuid? }
    commands:
      borrow: { params: { memberId: uuid }, emits: BookBorrowed }
    events:
      BookBorrowed: { fields: { memberId: uuid } }
`;

export interface StubProject extends TempProject {
  /**
   * The project's type errors (`path: message`), with `overrides` (text by project path) in place
   * of the files' text. The check runs in a child process (type-check.ts).
   */
  typeErrors(overrides?: Record<string, string>): Promise<string[]>;
}

/** Generates the Library domain with `yaml` (top-level sections, e.g. `projections:`) appended. */
export async function libraryStubProject(yaml: string): Promise<StubProject> {
  const project = await tempProject({ 'library.yaml': LIBRARY + yaml });
  const generated = await project.run('generate', '--config', project.config);
  if (generated.status !== 0) throw new Error(`generate failed (${generated.status}): ${generated.err}`);
  await project.write('src/aggregates/loan.ts', writeHandlerStubs(await project.read('src/aggregates/loan.ts')));
  const { root } = project;
  return {
    ...project,
    async typeErrors(overrides = {}) {
      const files = (await tsFiles(root)).map((f) => join(root, f));
      const found = await typeCheck({
        tsconfig: { extends: join(REPO, 'tsconfig.base.json'), compilerOptions: { noEmit: true }, files },
        basePath: root,
        overrides: Object.fromEntries(Object.entries(overrides).map(([f, text]) => [join(root, f), text])),
        reportUnder: [root],
      });
      return found.map((d) => `${d.file.slice(root.length + 1)}: ${d.message}`);
    },
  };
}
