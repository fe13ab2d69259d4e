// A small rule set that catches defects, not style (prettier owns layout). `npm run lint` runs it; .ci/run too.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/', '**/dist/', 'generated/', 'docs/', 'tmp/', '**/fixtures/', '**/*.fixture.ts'],
  },
  {
    files: ['**/*.ts', '**/*.js'],
    // Without type information: type-aware rules (no-floating-promises) made the lint take 2 minutes on a busy
    // 2-core machine instead of 20 s.
    languageOptions: { parser: tseslint.parser },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      eqeqeq: ['error', 'smart'],
      // A `let` assigned once after a closure (a cleanup) already refers to it stays a `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      'no-duplicate-imports': ['error', { allowSeparateTypeImports: true }],
    },
  },
  {
    // The libraries' own code reports through errors and onError callbacks, never by printing; the documented
    // default onError of the buses is console.warn.
    files: ['runtime/src/**/*.ts', 'schema/src/**/*.ts'],
    ignores: ['**/*.test.ts', 'runtime/src/store/sql/schema-snapshots/freeze-schema.ts'],
    rules: { 'no-console': ['error', { allow: ['warn'] }] },
  },
);
