import { type Database, openDatabase } from '@todo/server'
import { sql } from 'kysely'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { doors, ISO_UTC } from '../setup/doors.js'
import { startServer, type TestServer } from '../setup/server.js'

const url = inject('databaseUrl')

/**
 * A PostgreSQL server's `TimeZone` is the operator's choice (Neon's is UTC, a self-hosted one
 * may be anything); the API answers in UTC all the same. Chatham is 12:45 or 13:45 ahead.
 */
describe.runIf(url)('times, on PostgreSQL sessions in Pacific/Chatham', () => {
  const far = new URL(url ?? 'postgres://')
  far.searchParams.set('options', '-c TimeZone=Pacific/Chatham')
  let database: Database
  let server: TestServer

  beforeAll(async () => {
    database = await openDatabase({ kind: 'postgres', url: far.toString() })
    const { rows } = await sql<{ TimeZone: string }>`show time zone`.execute(database.db)
    expect(rows[0]?.TimeZone).toBe('Pacific/Chatham')
    server = await startServer({}, { database })
  })
  afterAll(async () => {
    await server?.app.close()
    await database?.close()
  })

  it.each(doors)('at the %s door are the UTC instants of the changes', async (_name, makeDoor) => {
    const user = await newUser()
    const door = makeDoor(server.url, user.token)
    const before = Date.now()
    const task = (await door.create({ user_id: user.id, title: 'Far away' })).data!
    const done = (await door.complete({ user_id: user.id, id: task.id })).data!
    const after = Date.now()

    for (const time of [task.created_at, done.completed_at, done.updated_at]) {
      expect(time).toMatch(ISO_UTC)
      expect(Date.parse(time!)).toBeGreaterThanOrEqual(before - 1000)
      expect(Date.parse(time!)).toBeLessThanOrEqual(after + 1000)
    }
    const listed = (await door.list({ user_id: user.id })).data!
    expect(listed).toEqual([done])
  })
})
