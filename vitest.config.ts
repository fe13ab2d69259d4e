import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Inside this repository the @eventsmith/* packages resolve to their TypeScript sources through the
// `@eventsmith/source` export condition (published packages resolve to dist/). Tests, and the processes tests
// start with `node --import tsx …`, run on the sources without a build.
const SOURCE_CONDITION = '@eventsmith/source';
// Vitest's own default conditions are Vite's server conditions without 'module' (a package's `module` build,
// e.g. @opentelemetry/api's extensionless ESM, does not load under Node); ours add the source condition to them.
const conditions = [SOURCE_CONDITION, ...defaultServerConditions.filter((c) => c !== 'module')];
const nodeOptions = [process.env.NODE_OPTIONS, `--conditions=${SOURCE_CONDITION}`].filter(Boolean).join(' ');

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    env: { NODE_OPTIONS: nodeOptions },
    include: ['**/*.test.ts'],
    // tmp/ (git-ignored) holds scratch work, such as a checkout of another commit to measure against.
    exclude: ['**/node_modules/**', '**/fixtures/**', 'tmp/**'],
    globalSetup: ['./test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
