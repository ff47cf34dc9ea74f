// Type-checked lint for the whole project (protocol, daemon, client, test, bench).
import js from '@eslint/js'
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
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
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
