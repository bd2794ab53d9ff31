import { defineConfig } from 'vitest/config'

// chDB binds one data directory per process, so every test file runs in its own fork
// and opens its own directory (see test/helpers/app.ts).
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    poolOptions: { forks: { singleFork: false } },
  },
})
