/**
 * The generated app facade with every hand-written part a domain can have, on a temp project:
 * an event field filled from the state, a declarative and a custom reaction, and a custom
 * projection handler written as a factory of the app's dependencies. The generated and user code
 * type-checks once the stubs are written, and the app runs it on SQLite.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject, tsFiles, typeCheck, type TempProject } from '../support/temp-project.js';

const LIBRARY = `domain: Library
aggregates:
  Member:
    state: { loans: integer }
    commands:
      recordLoan: { params: { loanId: string, bookId: uuid, note: { type: string, default: none } }, emits: LoanRecorded }
    events:
      LoanRecorded: { fields: { loanId: string, bookId: uuid, note: string } }
  Loan:
    state: { memberId: uuid?, bookId: uuid? }
    commands:
      borrow: { params: { memberId: uuid, bookId: uuid }, emits: BookBorrowed }
      giveBack: { emits: BookReturned }
    events:
      BookBorrowed: { fields: { memberId: uuid, bookId: uuid } }
      BookReturned:
        fields:
          memberId: { from: state.memberId }
          bookId: { from: state.bookId }
projections:
  Returns:
    columns: { loan_id: string, member_id: uuid, note: text? }
    primaryKey: loan_id
    on:
      BookReturned: custom
reactions:
  RecordLoan:
    when: Loan.BookBorrowed
    run: Member.recordLoan
    to: data.memberId
    with: { loanId: meta.aggregateId, bookId: data.bookId }
  Notify:
    when: BookReturned
    run: custom
`;

const LOAN = `import { handles } from '@eventsmith/runtime';
import { BookBorrowed, BookReturned, LoanBase, type LoanBorrowCommand, type LoanState } from '../../generated/index.js';

export class Loan extends LoanBase {
  borrow(command: LoanBorrowCommand): void {
    this.raiseBookBorrowed(command);
  }

  giveBack(): void {
    this.raiseBookReturned({});
  }

  @handles(BookBorrowed)
  onBookBorrowed(event: BookBorrowed): LoanState {
    return { ...this.state, memberId: event.data.memberId, bookId: event.data.bookId };
  }

  @handles(BookReturned)
  onBookReturned(_event: BookReturned): LoanState {
    return this.state;
  }
}
`;

const MEMBER = `import { handles } from '@eventsmith/runtime';
import { LoanRecorded, MemberBase, type MemberRecordLoanCommand, type MemberState } from '../../generated/index.js';

export class Member extends MemberBase {
  recordLoan(command: MemberRecordLoanCommand): void {
    this.raiseLoanRecorded(command);
  }

  @handles(LoanRecorded)
  onLoanRecorded(_event: LoanRecorded): MemberState {
    return { loans: this.state.loans + 1 };
  }
}
`;

const RETURNS = `import type { AppDependencies } from '@eventsmith/runtime';
import type { ReturnsCustomHandlers } from '../../generated/index.js';

export function returnsHandlers({ services }: AppDependencies): ReturnsCustomHandlers {
  const note = services.note as string;
  return {
    async BookReturned(event, { db }) {
      await db.insertInto('returns').values({ loan_id: event.aggregateId, member_id: event.data.memberId, note }).execute();
    },
  };
}
`;

const MAIN = `import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { createLibraryApp, createLibraryRegistry } from '../generated/index.js';
import { Loan } from './aggregates/loan.js';
import { Member } from './aggregates/member.js';
import { returnsHandlers } from './projections/returns.js';
import { notify, notified } from './reactions/notify.js';

export async function run() {
  const store = await SqliteEventStore.open({ filename: ':memory:', registry: createLibraryRegistry() });
  const app = await createLibraryApp({
    store,
    aggregates: { loan: Loan, member: Member },
    projections: { Returns: returnsHandlers },
    reactions: { Notify: notify },
    services: { note: 'on time' },
    logger: { warn: () => undefined, error: () => undefined },
    subscriptions: { pollIntervalMs: 20 },
  });
  const memberId = '0190a0b4-4a4e-7c3d-8f2a-00000000c001';
  const bookId = '0190a0b4-4a4e-7c3d-8f2a-00000000b001';
  await app.loan.borrow('loan-1', { memberId, bookId });
  const { position } = await app.loan.giveBack('loan-1');
  await app.waitForProjections({ position });
  const rows = await app.database!.selectFrom('returns').selectAll().execute();
  const deadline = Date.now() + 60_000;
  let member = await app.repository('member').load(memberId);
  while ((member.state.loans < 1 || notified.length < 1) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    member = await app.repository('member').load(memberId);
  }
  await app.close();
  await store.close();
  return { rows, loans: member.state.loans, notified };
}
`;

const NO_REACTIONS = `import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { createLibraryApp, createLibraryRegistry } from '../generated/index.js';
import { Loan } from './aggregates/loan.js';
import { Member } from './aggregates/member.js';
import { returnsHandlers } from './projections/returns.js';

export async function run() {
  const store = await SqliteEventStore.open({ filename: ':memory:', registry: createLibraryRegistry() });
  try {
    // As plain JavaScript, or through a cast: the custom reactions are not given.
    const options = { store, aggregates: { loan: Loan, member: Member }, projections: { Returns: returnsHandlers } };
    // A rejected promise (not an exception thrown by the call), as createApp's own errors are.
    const created = createLibraryApp(options as unknown as Parameters<typeof createLibraryApp>[0]);
    return await created.then(
      async (app) => void (await app.close()),
      (error: unknown) => error as Error & { code?: string },
    );
  } finally {
    await store.close();
  }
}
`;

describe('the generated app facade with custom reactions and handler factories', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await tempProject({ 'library.yaml': LIBRARY });
    const generated = await project.run('generate', '--config', project.config);
    expect(generated.status, generated.err).toBe(0);
  }, 60_000);
  afterAll(async () => project.remove());

  it('creates the custom reaction stub, and with the user code written it type-checks and runs', async () => {
    const stub = await project.read('src/reactions/notify.ts');
    expect(stub).toContain("export const notify: LibraryCustomReactions['Notify'] = async (event, context) => {");
    await project.write(
      'src/reactions/notify.ts',
      stub.replace(
        /export const notify[\s\S]*$/,
        "export const notified: string[] = [];\n\nexport const notify: LibraryCustomReactions['Notify'] = async (event) => {\n  notified.push(`${event.data.memberId} returned ${event.data.bookId}`);\n};\n",
      ),
    );
    await project.write('src/aggregates/loan.ts', LOAN);
    await project.write('src/aggregates/member.ts', MEMBER);
    await project.write('src/projections/returns.ts', RETURNS);
    await project.write('src/main.ts', MAIN);
    expect(typeCheck(project.root, await tsFiles(project.root))).toEqual([]);

    const { run } = (await import(pathToFileURL(join(project.root, 'src/main.ts')).href)) as {
      run(): Promise<{
        rows: { loan_id: string; member_id: string; note: string }[];
        loans: number;
        notified: string[];
      }>;
    };
    const result = await run();
    // BookReturned carries memberId and bookId from the loan's state; the factory got the services.
    expect(result.rows).toEqual([
      { loan_id: 'loan-1', member_id: '0190a0b4-4a4e-7c3d-8f2a-00000000c001', note: 'on time' },
    ]);
    expect(result.loans).toBe(1);
    expect(result.notified).toEqual([
      '0190a0b4-4a4e-7c3d-8f2a-00000000c001 returned 0190a0b4-4a4e-7c3d-8f2a-00000000b001',
    ]);
  }, 180_000);

  it('refuses to create the app without its custom reactions, naming the option and what to pass', async () => {
    await project.write('src/aggregates/loan.ts', LOAN);
    await project.write('src/aggregates/member.ts', MEMBER);
    await project.write('src/projections/returns.ts', RETURNS);
    await project.write('src/no-reactions.ts', NO_REACTIONS);
    const { run } = (await import(pathToFileURL(join(project.root, 'src/no-reactions.ts')).href)) as {
      run(): Promise<(Error & { code?: string }) | undefined>;
    };
    const error = await run();
    expect(error?.name).toBe('AppConfigError');
    expect(error?.code).toBe('APP.CONFIG');
    expect(error?.message).toMatch(/custom reaction Notify is missing \(got undefined\)/);
    expect(error?.message).toContain('reactions: { Notify: … }');
  }, 60_000);
});
