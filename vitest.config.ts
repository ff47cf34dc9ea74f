import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/real-clients/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests spawn daemons; two cores on CI.
    pool: 'forks',
    maxWorkers: 2,
  },
})
