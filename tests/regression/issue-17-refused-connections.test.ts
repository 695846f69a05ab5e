// A database that refuses new connections (as during maintenance: ALLOW_CONNECTIONS false,
// SQLSTATE 55000 on connect) made every task call a 500. Any failure to obtain a connection
// is unavailability: 503 with the contract's JSON error, and recovery without a restart.
import { openDatabase } from '@todo/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { request, restClient } from '../setup/http.js'
import { admin, freshDatabase, postgresServerUrl } from '../setup/postgres.js'
import { startServer, type TestServer } from '../setup/server.js'
import { trpcClient, trpcError } from '../setup/trpc.js'

if (!postgresServerUrl) console.info('skipped: the refused-connections test needs PostgreSQL (TEST_DATABASE_URL)')

describe.skipIf(!postgresServerUrl)('a PostgreSQL database that refuses new connections', () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>
  let server: TestServer
  let database: Awaited<ReturnType<typeof openDatabase>>

  beforeAll(async () => {
    fresh = await freshDatabase(postgresServerUrl!)
    database = await openDatabase({ kind: 'postgres', url: fresh.url })
    server = await startServer({}, { database })
  })
  afterAll(async () => {
    await server?.app.close()
    await database?.close()
    await admin(postgresServerUrl!, `alter database ${fresh.name} allow_connections true`).catch(() => {})
    await fresh?.drop()
  })

  const refuse = async (refused: boolean) => {
    await admin(postgresServerUrl!, `alter database ${fresh.name} allow_connections ${!refused}`)
    if (refused) {
      await admin(
        postgresServerUrl!,
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${fresh.name}'`,
      )
      // The pool notices its terminated connections and drops them.
      await new Promise((resolve) => setTimeout(resolve, 300))
    }
  }

  it('answers task calls 503 at both doors, then serves again once it accepts them', async () => {
    const user = await newUser()
    const rest = restClient(server.url, user.id, user.token)
    const trpc = trpcClient(server.url, user.token)
    expect((await rest.create({ title: 'before' })).status).toBe(201)

    await refuse(true)
    for (const response of [await rest.list(), await rest.create({ title: 'during' })]) {
      expect(response.status).toBe(503)
      expect(response.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable' })
    }
    const error = await trpcError(trpc.tasks.list.query({ user_id: user.id }))
    expect(error.data).toMatchObject({ code: 'SERVICE_UNAVAILABLE', httpStatus: 503 })
    expect((await request(server.url, 'GET', '/health')).status).toBe(503)
    expect((await request(server.url, 'GET', '/readyz')).body).toMatchObject({ reason: 'database' })

    await refuse(false)
    const after = await rest.list()
    expect(after.status).toBe(200)
    expect(after.body.map((task: { title: string }) => task.title)).toEqual(['before'])
    expect(await trpc.tasks.list.query({ user_id: user.id })).toHaveLength(1)
    expect((await request(server.url, 'GET', '/readyz')).status).toBe(200)
  })
})
