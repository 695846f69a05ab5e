import type { TestProject } from 'vitest/node'
import { freshDatabase } from './postgres.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated PostgreSQL database of this run, or undefined to use PGlite. */
    databaseUrl: string | undefined
  }
}

/**
 * With `TEST_DATABASE_URL` (a PostgreSQL server), makes a fresh database for this run,
 * migrates it, and drops it at the end; without it, each worker uses an in-memory PGlite.
 */
export default async function setup(project: TestProject) {
  const serverUrl = process.env.TEST_DATABASE_URL
  if (!serverUrl) {
    project.provide('databaseUrl', undefined)
    return
  }
  const { url, drop } = await freshDatabase(serverUrl)
  project.provide('databaseUrl', url)
  return drop
}
