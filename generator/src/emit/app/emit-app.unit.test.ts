import { loadDomain } from '@eventsmith/schema';
import { describe, expect, it } from 'vitest';
import { emitDomain, type GeneratedFile } from '../index.js';

const YAML = `domain: Library
aggregates:
  Member:
    state: { loans: integer }
    commands:
      recordLoan: { params: { loanId: string, bookId: uuid, note: string? }, emits: LoanRecorded }
    events:
      LoanRecorded: { fields: { loanId: string, bookId: uuid } }
  Loan:
    snapshot: { every: 5 }
    state: { memberId: uuid? }
    commands:
      borrow: { params: { memberId: uuid, bookId: uuid }, emits: BookBorrowed }
    events:
      BookBorrowed: { fields: { memberId: uuid, bookId: uuid, tags: list<string> } }
projections:
  Loans:
    columns: { loan_id: string, member_id: uuid }
    primaryKey: loan_id
    on:
      BookBorrowed: custom
reactions:
  RecordLoan:
    description: The member keeps a list of their loans.
    when: Loan.BookBorrowed
    run: Member.recordLoan
    to: data.memberId
    with: { loanId: meta.aggregateId, bookId: data.bookId }
  Notify:
    when: BookBorrowed
    run: custom
`;

function files(): Map<string, GeneratedFile> {
  const result = loadDomain([{ path: 'library.yaml', text: YAML }]);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  return new Map(emitDomain(result.value, { outDir: 'gen', userDir: 'src' }).map((f) => [f.path, f]));
}

describe('the app target', () => {
  it('emits the aggregates with their command schemas and snapshot policies, keyed as on the app', () => {
    const app = files().get('gen/app.ts')!.render();
    expect(app).toContain(
      "loan: {\n    aggregateType: 'Loan',\n    commands: { borrow: loanBorrowCommandSchema },\n    snapshotPolicy: loanSnapshotPolicy,\n  },",
    );
    expect(app).toContain(
      "member: {\n    aggregateType: 'Member',\n    commands: { recordLoan: memberRecordLoanCommandSchema },\n  },",
    );
  });

  it('emits a declarative reaction as dispatchOn with the mapped id and parameters', () => {
    const app = files().get('gen/app.ts')!.render().replace(/\s+/g, ' ');
    expect(app).toContain(
      "dispatchOn<LibraryAggregates>()({ name: 'RecordLoan', on: BookBorrowed, aggregate: 'member', command: 'recordLoan', id: (event) => event.data.memberId, params: (event) => ({ loanId: event.aggregateId, bookId: event.data.bookId }), })",
    );
  });

  it('takes the hand-written projection handlers and reactions in create<Domain>App, and passes the rest to createApp', () => {
    const app = files().get('gen/app.ts')!.render();
    expect(app).toContain(
      'readonly Notify: (event: BookBorrowed, context: ReactionContext<LibraryAggregates>) => Promise<void> | void;',
    );
    // The hand-written reactions are checked when the app is created (customReaction), not on the first event.
    expect(app).toContain("const handlers = {\n    Notify: customReaction('Notify', custom?.Notify),\n  };");
    expect(app).toContain('handle: (event, context) => handlers.Notify(event as BookBorrowed, context),');
    expect(app).toContain(
      'export interface LibraryAppOptions<Classes extends AggregateClasses<LibraryAggregates> = AggregateClasses<LibraryAggregates>> extends AppOptions<LibraryAggregates, Classes> {',
    );
    expect(app).toContain('readonly projections: LibraryCustomProjectionHandlers;');
    expect(app).toContain('readonly reactions: LibraryCustomReactions;');
    expect(app).toContain(
      'const { projections, reactions, ...rest } = options;\n  return createApp(libraryApp(projections, reactions), rest);',
    );
    expect(app).toContain('projections: (dependencies) => createLibraryProjections(projections, dependencies),');
  });

  it('creates a user-owned stub per custom reaction, typed by the generated interface', () => {
    const stub = files().get('src/reactions/notify.ts')!;
    expect(stub.ownership).toBe('user');
    expect(stub.render()).toContain(
      "export const notify: LibraryCustomReactions['Notify'] = async (event, context) => {",
    );
    // The body does not compile until written (test/e2e/reaction-stub.e2e.test.ts checks the compiler's error).
    expect(stub.render()).toContain("return reactionNotWritten('Notify');");
    expect(stub.render()).toMatch(/import \{ reactionNotWritten \} from '@eventsmith\/runtime';/);
  });
});
