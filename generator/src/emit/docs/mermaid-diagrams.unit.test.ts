import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadDomain } from '@eventsmith/schema';
import { JSDOM } from 'jsdom';
import { beforeAll, describe, expect, it } from 'vitest';
import { emit } from './index.js';

// Every Mermaid block the docs emitter writes for the example domains goes through Mermaid's own
// parser (the one its renderer uses), so a syntax error in a diagram fails here. Mermaid sanitises
// labels with DOMPurify, which needs a DOM: jsdom provides it, no browser.
type Mermaid = { parse(text: string): Promise<unknown> };
let mermaid: Mermaid;

beforeAll(async () => {
  const { window } = new JSDOM('<!doctype html><html><body></body></html>');
  Object.assign(globalThis, { window, document: window.document });
  mermaid = (await import('mermaid')).default as Mermaid;
}, 120_000);

const ROOT = join(import.meta.dirname, '../../../..');

const REACTIONS = `domain: Library
aggregates:
  Reader:
    commands: { recordLoan: { params: { bookId: string }, emits: LoanRecorded } }
    events: { LoanRecorded: { fields: { bookId: string } } }
  Book:
    commands: { lend: { params: { readerId: string, tags: list<string> }, emits: BookLent } }
    events: { BookLent: { fields: { readerId: string, tags: list<string> } } }
reactions:
  RecordLoan: { when: BookLent, run: Reader.recordLoan, to: data.readerId, with: { bookId: meta.aggregateId } }
  TagEach: { when: BookLent, forEach: data.tags, run: Reader.recordLoan, to: item, with: { bookId: meta.aggregateId } }
  Notify: { when: BookLent, run: custom }
`;

function diagramsOf(domainDir: string): { where: string; text: string }[] {
  const dir = join(ROOT, domainDir);
  return diagramsOfFiles(
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => ({ path: `${domainDir}/${f}`, text: readFileSync(join(dir, f), 'utf8') })),
  );
}

function diagramsOfFiles(sources: { path: string; text: string }[]): { where: string; text: string }[] {
  const result = loadDomain(sources);
  if (!result.ok) throw new Error(`${sources.map((f) => f.path).join(', ')} does not load`);
  return emit(result.value, { docsDir: 'docs' })
    .filter((f) => f.path.endsWith('.md'))
    .flatMap((f) => [...f.render().matchAll(/```mermaid\n([\s\S]*?)\n```/g)].map((m, i) => ({ where: `${f.path} #${i + 1}`, text: m[1]! })));
}

describe('Mermaid diagrams of the docs', () => {
  for (const domain of ['examples/bank/domain', 'examples/shop/domain']) {
    it(`parse with Mermaid: ${domain}`, async () => {
      const diagrams = diagramsOf(domain);
      expect(diagrams.length).toBeGreaterThan(2);
      expect(diagrams.some((d) => d.text.includes('-->|'))).toBe(true); // a version history with upcast steps
      for (const d of diagrams) {
        await expect(mermaid.parse(d.text).then(() => d.where)).resolves.toBe(d.where);
      }
    }, 60_000);
  }

  it('parse with Mermaid: reactions of both kinds, each aggregate page with the other end of its reactions', async () => {
    const diagrams = diagramsOfFiles([{ path: 'domain/library.yaml', text: REACTIONS }]);
    expect(diagrams.map((d) => d.where)).toEqual(['docs/README.md #1', 'docs/aggregates/book.md #1', 'docs/aggregates/reader.md #1']);
    expect(diagrams.map((d) => d.text).join('\n')).toContain('rct_Notify{{"Notify (custom)"}}');
    expect(diagrams[1]!.text).toContain('cmd_Reader_recordLoan["Reader.recordLoan()"]');
    expect(diagrams[2]!.text).toContain('evt_BookLent(["Book.BookLent v1"])');
    for (const d of diagrams) {
      await expect(mermaid.parse(d.text).then(() => d.where)).resolves.toBe(d.where);
    }
  }, 60_000);

  it('labels with quotes, brackets and pipes stay labels', async () => {
    await expect(mermaid.parse('flowchart LR\n  a["say #quot;hi#quot; [x] | y"] -->|"add note = #quot;a|b#quot;"| b(["B v2"])')).resolves.toBeDefined();
  });

  it('a syntax error fails', async () => {
    await expect(mermaid.parse('flowchart LR\n  a[["open()"] --> b')).rejects.toThrow(/Parse error/);
  });
});
