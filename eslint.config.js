// Type-checked lint for the whole project (protocol, daemon, client, upstream, test, bench).
// Each file is checked against the nearest tsconfig.json: the root one for the sources
// (noUncheckedIndexedAccess on), test/ and bench/ for the tests and benchmarks.
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'test/real-clients/node_modules/**',
      'test/real-clients/scratch/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // `_`-prefixed names are deliberately unused (rest-destructuring to drop a key, fixed signatures).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // Fakes and stubs implement async interfaces with answers they already have.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { ...globals.node } },
  },
  {
    // The dashboard page runs in the browser, not in Node.
    files: ['daemon/web/static/**/*.js', 'test/e2e/**/*.browser.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'document',
          'window',
          'location',
          'history',
          'performance',
          'fetch',
          'EventSource',
          'Node',
          'setTimeout',
          'clearTimeout',
          'setInterval',
          'getComputedStyle',
          'NodeFilter',
        ].map((name) => [name, 'readonly']),
      ),
    },
  },
)
