import { randomBytes } from 'node:crypto'
import { migrateToLatest } from '@todo/migrations'
import { openDatabase } from '@todo/server'
import pg from 'pg'
import type { TestProject } from 'vitest/node'

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
  const name = `todo_test_${process.pid}_${randomBytes(3).toString('hex')}`
  await admin(serverUrl, `create database ${name}`)
  const url = new URL(serverUrl)
  url.pathname = `/${name}`
  const database = await openDatabase({ kind: 'postgres', url: url.href })
  try {
    await migrateToLatest(database.db)
  } finally {
    await database.close()
  }
  project.provide('databaseUrl', url.href)
  return () => admin(serverUrl, `drop database if exists ${name} with (force)`)
}

async function admin(serverUrl: string, statement: string) {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(statement)
  } finally {
    await client.end()
  }
}
