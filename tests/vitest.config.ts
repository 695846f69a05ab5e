import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    globalSetup: ['./setup/global-setup.ts'],
    // One database per worker (PGlite costs seconds and hundreds of MB to start), shared by
    // the files that worker runs; tests keep apart by using users of their own.
    pool: 'forks',
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
