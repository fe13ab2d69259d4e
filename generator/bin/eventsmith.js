#!/usr/bin/env node
// The `eventsmith` command.
//
// Installed from npm, the package has no src/: the command runs the compiled dist/ with plain Node (no tsx at
// start-up). In a checkout of the eventsmith repository src/ is present: the command runs the TypeScript sources
// through tsx, and resolves the other @eventsmith packages to their sources too (the `@eventsmith/source` export
// condition), so working on eventsmith needs no build step. EVENTSMITH_CLI=dist runs dist/ in a checkout
// (after `npm run build`), e.g. to measure the compiled CLI.
import { existsSync } from 'node:fs';

const sources = new URL('../src/cli/main.ts', import.meta.url);
const fromSources = process.env.EVENTSMITH_CLI !== 'dist' && existsSync(sources);

let main;
if (fromSources) {
  const { register } = await import('node:module');
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  // Registered after tsx, so it runs first: adds the condition, then lets tsx and Node resolve.
  register('./source-condition-hooks.js', import.meta.url);
  ({ main } = await import(sources.href));
} else {
  ({ main } = await import('../dist/cli/main.js'));
}
process.exitCode = await main(process.argv.slice(2));
