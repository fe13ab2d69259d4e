import { loadDomain } from '@eventsmith/schema';
import { describe, expect, it } from 'vitest';
import { emitDomain } from '../index.js';

const YAML = `domain: Library
aggregates:
  Loan:
    state: { bookId: uuid?, memberId: uuid?, renewals: integer }
    commands:
      giveBack: { params: { note: string? }, emits: BookReturned }
    events:
      LoanOpened: { fields: { bookId: uuid, memberId: uuid } }
      BookReturned:
        fields:
          bookId: { from: state.bookId }
          renewals: { from: state.renewals }
          note: string?
      LoanRenewed:
        fields:
          memberId: { type: uuid?, from: state.memberId }
`;

function baseClass(): string {
  const result = loadDomain([{ path: 'library.yaml', text: YAML }]);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
  const file = emitDomain(result.value, { outDir: 'gen', userDir: 'src' }).find(
    (f) => f.path === 'gen/aggregates/loan.ts',
  );
  return file!.render();
}

describe('raise methods of events with fields filled from the state', () => {
  it('leave those fields out of data and take them from this.state', () => {
    const code = baseClass();
    expect(code).toContain(
      "protected raiseBookReturned(data: Omit<BookReturnedInput, 'bookId' | 'renewals'>, init?: EventInit): void {",
    );
    // bookId is required in the event but optional in the state: the event schema decides at runtime.
    expect(code).toContain(
      'this.raise(new BookReturned({ ...data, bookId: this.state.bookId, renewals: this.state.renewals } as BookReturnedInput, init));',
    );
    // Optional in both: no cast.
    expect(code).toContain('this.raise(new LoanRenewed({ ...data, memberId: this.state.memberId }, init));');
  });

  it('leave the other raise methods as they were', () => {
    expect(baseClass()).toContain(
      'protected raiseLoanOpened(data: LoanOpenedInput, init?: EventInit): void {\n    this.raise(new LoanOpened(data, init));',
    );
  });
});
