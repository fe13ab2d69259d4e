// Node 20 has no Symbol.metadata. TC39 decorators (as compiled by TypeScript) only create
// `context.metadata` when it exists, so it must be installed before any decorated class is
// evaluated. `Symbol.for` makes it the same symbol esbuild-compiled code uses.
(Symbol as { metadata?: symbol }).metadata ??= Symbol.for('Symbol.metadata');

export {};
