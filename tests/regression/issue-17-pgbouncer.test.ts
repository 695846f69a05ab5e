// Queries go out as named prepared statements, which fail behind a pooler without
// protocol-level prepared statements (PgBouncer before 1.21 in transaction mode, what Debian 12
// ships). DATABASE_PREPARED_STATEMENTS=false sends unnamed ones; with the default, the first
// failure is logged once, clearly, and the server goes on with unnamed statements: no 500s.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { newUser, TEST_SECRET } from '../setup/auth.js'
import { restClient } from '../setup/http.js'
import { pgbouncerAvailable, startPgBouncer } from '../setup/pgbouncer.js'
import { postgresServerUrl } from '../setup/postgres.js'
import { startServerProcess } from '../setup/process.js'

if (!postgresServerUrl) console.info('skipped: the PgBouncer test needs PostgreSQL (TEST_DATABASE_URL)')
const runs = postgresServerUrl !== undefined && pgbouncerAvailable('the PgBouncer test')

/** 40 calls of 4 users at once, creates and lists: how they were answered. */
async function load(url: string) {
  const statuses: Record<number, number> = {}
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      const user = await newUser()
      const rest = restClient(url, user.id, user.token)
      for (let i = 0; i < 10; i++) {
        const response = i % 2 ? await rest.list() : await rest.create({ title: `through the pooler ${i}` })
        statuses[response.status] = (statuses[response.status] ?? 0) + 1
      }
    }),
  )
  return statuses
}

describe.skipIf(!runs)('behind PgBouncer 1.18 in transaction mode', () => {
  let bouncer: Awaited<ReturnType<typeof startPgBouncer>>
  let url: string
  beforeAll(async () => {
    bouncer = await startPgBouncer(postgresServerUrl!)
    url = bouncer.urlOf(new URL(inject('databaseUrl')!).pathname.slice(1))
  })
  afterAll(() => bouncer?.stop())

  const start = (env: Record<string, string> = {}) =>
    startServerProcess({ DATABASE_URL: url, AUTH_JWT_SECRET: TEST_SECRET, RATE_LIMIT_PER_MINUTE: '0', ...env })

  it('serves every call with DATABASE_PREPARED_STATEMENTS=false', async () => {
    const server = await start({ DATABASE_PREPARED_STATEMENTS: 'false' })
    try {
      expect(await load(server.url)).toEqual({ 200: 20, 201: 20 })
      expect(server.output()).not.toContain('DATABASE_PREPARED_STATEMENTS')
    } finally {
      await server.stop()
    }
  })

  it('with named statements, says once what to set and goes on without them, with no 500', async () => {
    const server = await start()
    try {
      const statuses = await load(server.url)
      expect(Object.keys(statuses).filter((status) => !['200', '201', '503'].includes(status))).toEqual([])
      expect((statuses[200] ?? 0) + (statuses[201] ?? 0)).toBeGreaterThanOrEqual(38)
      expect(await load(server.url)).toEqual({ 200: 20, 201: 20 })
      const warnings = server.output().match(/set DATABASE_PREPARED_STATEMENTS=false/g) ?? []
      expect(warnings).toHaveLength(1)
    } finally {
      await server.stop()
    }
  })
})
