import { describe, expect, it } from 'vitest';
import * as runtime from '../index.js';

describe('the runtime entry point', () => {
  it('exports the event helpers users call, and not the ones only the stores use', () => {
    const names = Object.keys(runtime);
    expect(names).toEqual(
      expect.arrayContaining(['ImmutableDate', 'immutableCopy', 'toEventRecord', 'toJsonValue', 'newEventId']),
    );
    for (const internal of ['immutableCopyWithJson', 'LastImmutableDate', 'isoTextOf', 'toEventRecordEnvelope'])
      expect(names).not.toContain(internal);
  });

  it('exports the tracing helpers, and not the check the repository uses to skip spans', () => {
    const names = Object.keys(runtime);
    expect(names).toEqual(expect.arrayContaining(['withSpan', 'withSpanSync', 'SpanAttributes', 'traceLinks']));
    expect(names).not.toContain('tracing');
  });
});
