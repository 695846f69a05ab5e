import { randomBytes } from 'node:crypto'
import { migrateToLatest } from '@todo/migrations'
import { openDatabase } from '@todo/server'
import pg from 'pg'

/** The PostgreSQL server of this run (`TEST_DATABASE_URL`), or undefined on PGlite. */
export const postgresServerUrl = process.env.TEST_DATABASE_URL || undefined

/** Runs one statement on the server's admin database. */
export async function admin(serverUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}

/**
 * A new database of its own on the test server (migrated unless asked not to), for a test that
 * changes the database itself. `drop()` removes it.
 */
export async function freshDatabase(
  serverUrl: string,
  { migrated = true }: { migrated?: boolean } = {},
): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `todo_test_${process.pid}_${randomBytes(4).toString('hex')}`
  await admin(serverUrl, `create database ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  if (migrated) {
    const database = await openDatabase({ kind: 'postgres', url: url.href })
    try {
      await migrateToLatest(database.db)
    } finally {
      await database.close()
    }
  }
  return { name, url: url.href, drop: () => admin(serverUrl, `drop database if exists ${name} with (force)`) }
}
