import { createHash } from 'node:crypto';

/**
 * Names for statements the store runs as named (server-side prepared) statements: each pooled
 * connection parses a named statement once and keeps its plan, so repeating it skips parsing and,
 * once PostgreSQL settles on the generic plan, planning. The name is a hash of the text, so each
 * statement shape gets its own. Every name costs a prepared statement on every pooled connection,
 * so after `limit` distinct texts further ones run unnamed (parsed and planned on every run).
 *
 * @example
 * ```ts
 * const names = new StatementNames(64);
 * const name = names.of(text); // "eventsmith_read_3f7c…", or undefined past the limit
 * await pool.query(name ? { name, text, values } : { text, values });
 * ```
 */
export class StatementNames {
  readonly #names = new Map<string, string>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  of(text: string): string | undefined {
    const known = this.#names.get(text);
    if (known !== undefined || this.#names.size >= this.#limit) return known;
    const name = `eventsmith_read_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
    this.#names.set(text, name);
    return name;
  }
}
