#!/usr/bin/env node
// The `eventsmith` command. Runs the TypeScript sources through tsx's ESM loader, so the CLI
// (and the generated projection migrations `migrate` imports) need no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
