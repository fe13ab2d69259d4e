import { formatSource, type Formatter, type SourceFormat } from '../format/format-source.js';

/**
 * Watch mode's one cache: per output path, the text last emitted there and what prettier made of
 * it. A run after a save emits every file again, but formats only those whose emitted text changed
 * (formatting a large domain's every file takes seconds; emitting it, a fraction of that). One
 * entry per output path, replaced on each change, so the memo never outgrows the output.
 *
 * @example
 * ```ts
 * const format = formatMemo();
 * await generateProject({ config, format }); // formats every file
 * await generateProject({ config, format }); // formats only what changed since
 * ```
 */
export function formatMemo(format: Formatter = formatSource): Formatter {
  const last = new Map<string, { readonly kind: SourceFormat; readonly text: string; readonly formatted: string }>();
  return async (path, text, kind) => {
    const hit = last.get(path);
    if (hit && hit.kind === kind && hit.text === text) return hit.formatted;
    const formatted = await format(path, text, kind);
    last.set(path, { kind, text, formatted });
    return formatted;
  };
}
