// `pnpm start` against an unmigrated PostgreSQL database started and then answered 500 to every
// call. A database behind the code's migrations now stops the server at start with one line
// naming `pnpm db:migrate` (MIGRATE_ON_START=true migrates it instead); one ahead of the code
// (a rollback deploy) starts with a warning.
import pg from 'pg'
import { afterEach, describe, expect, it } from 'vitest'
import { TEST_SECRET } from '../setup/auth.js'
import { request } from '../setup/http.js'
import { freshDatabase, postgresServerUrl } from '../setup/postgres.js'
import { runServer, startServerProcess } from '../setup/process.js'

if (!postgresServerUrl) console.info('skipped: the schema check at start needs PostgreSQL (TEST_DATABASE_URL)')

describe.skipIf(!postgresServerUrl)('the schema check at start, on PostgreSQL', () => {
  const cleanups: (() => Promise<unknown>)[] = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  const env = (url: string) => ({ DATABASE_URL: url, AUTH_JWT_SECRET: TEST_SECRET, PORT: '0' })

  it('stops the server when the database is behind, with one line naming pnpm db:migrate', async () => {
    const fresh = await freshDatabase(postgresServerUrl!, { migrated: false })
    cleanups.push(fresh.drop)
    const { output, exited } = runServer(env(fresh.url))
    expect(await exited).toBe(1)
    const lines = output().trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^The database is \d+ migration\(s\) behind this code .*`pnpm db:migrate`/)
  })

  it('migrates it at start with MIGRATE_ON_START=true', async () => {
    const fresh = await freshDatabase(postgresServerUrl!, { migrated: false })
    cleanups.push(fresh.drop)
    const server = await startServerProcess({ ...env(fresh.url), MIGRATE_ON_START: 'true' })
    cleanups.push(server.stop)
    expect((await request(server.url, 'GET', '/readyz')).status).toBe(200)
    expect(server.output()).toContain('migrated the database at start')
  })

  it('starts with a warning when the database is ahead of the code', async () => {
    const fresh = await freshDatabase(postgresServerUrl!)
    cleanups.push(fresh.drop)
    const client = new pg.Client({ connectionString: fresh.url })
    await client.connect()
    await client.query(
      `insert into kysely_migration (name, timestamp) values ('2099_01_01_000000_from_the_future', now())`,
    )
    await client.end()
    const server = await startServerProcess(env(fresh.url))
    cleanups.push(server.stop)
    expect((await request(server.url, 'GET', '/readyz')).status).toBe(200)
    expect(server.output()).toContain('the database has migrations this code does not know')
    expect(server.output()).toContain('2099_01_01_000000_from_the_future')
  })
})
