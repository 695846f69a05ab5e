import { defineConfig } from 'vitest/config'

export default defineConfig({
  // The SDK resolves to its TypeScript sources (its `source` export condition), so the suite
  // needs no build of it; tsconfig.json's `customConditions` says the same to tsc.
  ssr: { resolve: { conditions: ['@todo-api/source', 'module', 'node', 'development|production'] } },
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
