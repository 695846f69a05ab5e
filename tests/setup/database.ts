import { migrateToLatest } from '@todo/migrations'
import { type Database, openDatabase } from '@todo/server'
import { inject } from 'vitest'

const key = Symbol.for('todo.tests.database')
const shared = globalThis as { [key]?: Promise<Database> }

/** This worker's database, opened once and shared by every test file the worker runs. */
export function testDatabase(): Promise<Database> {
  shared[key] ??= open()
  return shared[key]
}

/** Which database the suite runs on, for test names. */
export const databaseKind = inject('databaseUrl') ? 'postgres' : 'pglite'

async function open(): Promise<Database> {
  const url = inject('databaseUrl')
  if (url) return openDatabase({ kind: 'postgres', url })
  const database = await openDatabase({ kind: 'pglite', dataDir: undefined })
  await migrateToLatest(database.db)
  return database
}
