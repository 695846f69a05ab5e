// Keeping clients in sync (contract v1.1): versions, conditional writes, client-chosen ids and
// the change feed, at both doors, on the suite's database (PostgreSQL or PGlite).
import { randomUUID } from 'node:crypto'
import type { Change, Task } from '@todo/contracts'
import { sql } from 'kysely'
import pg from 'pg'
import { describe, expect, inject, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { testDatabase } from '../setup/database.js'
import { doors } from '../setup/doors.js'
import { restClient } from '../setup/http.js'
import { postgresServerUrl } from '../setup/postgres.js'
import { startServer, useServer } from '../setup/server.js'

const ok = (name: string) => ({ created: name === 'rest' ? 201 : 200, deleted: name === 'rest' ? 204 : 200 })

describe.each(doors)('versions and conditional writes at the %s door', (name, makeDoor) => {
  const server = useServer()
  const setup = async () => {
    const user = await newUser()
    const door = makeDoor(server.url, user.token)
    const task = (await door.create({ user_id: user.id, title: 'versioned' })).data!
    return { user, door, task }
  }

  it('starts at 1 and counts every change', async () => {
    const { user, door, task } = await setup()
    expect(task.version).toBe(1)
    expect((await door.update({ user_id: user.id, id: task.id, title: 'renamed' })).data?.version).toBe(2)
    expect((await door.complete({ user_id: user.id, id: task.id })).data?.version).toBe(3)
    expect((await door.update({ user_id: user.id, id: task.id, description: 'x' })).data?.version).toBe(4)
  })

  it('keeps the version and updated_at on a write that changes nothing, and adds nothing to the feed', async () => {
    const { user, door, task } = await setup()
    const done = (await door.complete({ user_id: user.id, id: task.id, completed: true })).data!
    const { cursor } = (await door.changes({ user_id: user.id })).data!
    await new Promise((resolve) => setTimeout(resolve, 5))
    const again = (await door.complete({ user_id: user.id, id: task.id, completed: true })).data!
    const same = (await door.update({ user_id: user.id, id: task.id, title: 'versioned', completed: true })).data!
    for (const unchanged of [again, same]) {
      expect(unchanged).toEqual(done)
    }
    expect((await door.changes({ user_id: user.id, since: cursor })).data?.changes).toEqual([])
  })

  it('writes while the version is the one given, in one statement', async () => {
    const { user, door, task } = await setup()
    const updated = await door.update({ user_id: user.id, id: task.id, title: 'first', if_version: 1 })
    expect(updated.data?.version).toBe(2)
    const completed = await door.complete({ user_id: user.id, id: task.id, if_version: 2 })
    expect(completed.data).toMatchObject({ version: 3, completed: true })
    expect((await door.remove({ user_id: user.id, id: task.id, if_version: 3 })).status).toBe(ok(name).deleted)
  })

  it('answers 412 with the task as it is now, and writes nothing, when the version has moved on', async () => {
    const { user, door, task } = await setup()
    const current = (await door.update({ user_id: user.id, id: task.id, title: 'moved on' })).data!
    for (const outcome of [
      await door.update({ user_id: user.id, id: task.id, title: 'stale', if_version: 1 }),
      await door.complete({ user_id: user.id, id: task.id, if_version: 1 }),
      await door.remove({ user_id: user.id, id: task.id, if_version: 1 }),
    ]) {
      expect(outcome).toMatchObject({ status: 412, code: 'PRECONDITION_FAILED', current })
    }
    expect((await door.get({ user_id: user.id, id: task.id })).data).toEqual(current)
  })

  it('answers 404, not 412, for a task that does not exist or is another user’s', async () => {
    const { user, door } = await setup()
    const other = await newUser()
    const theirs = (await makeDoor(server.url, other.token).create({ user_id: other.id, title: 'theirs' })).data!
    for (const id of [randomUUID(), theirs.id]) {
      expect((await door.update({ user_id: user.id, id, title: 'x', if_version: 1 })).status).toBe(404)
      expect((await door.complete({ user_id: user.id, id, if_version: 1 })).status).toBe(404)
      expect((await door.remove({ user_id: user.id, id, if_version: 1 })).status).toBe(404)
    }
  })

  it('lets exactly one of two writers holding the same version through, 50 rounds', async () => {
    const { user, door, task } = await setup()
    let version = task.version
    for (let round = 0; round < 50; round++) {
      const [a, b] = await Promise.all([
        door.update({ user_id: user.id, id: task.id, title: `a ${round}`, if_version: version }),
        door.complete({ user_id: user.id, id: task.id, if_version: version }),
      ])
      const statuses = [a!.status, b!.status].sort()
      expect(statuses, `round ${round}`).toEqual([200, 412])
      version += 1
      expect((a!.data ?? b!.data)?.version).toBe(version)
    }
  })

  it('returns the first task for a create replayed with its id, never a second one', async () => {
    const { user, door } = await setup()
    const id = randomUUID()
    const first = await door.create({ user_id: user.id, id, title: 'once' })
    expect(first).toMatchObject({ status: ok(name).created, data: { id, title: 'once', version: 1 } })
    await door.complete({ user_id: user.id, id })
    const replay = await door.create({ user_id: user.id, id, title: 'twice?' })
    expect(replay.status).toBe(200)
    expect(replay.data).toMatchObject({ id, title: 'once', completed: true, version: 2 })
    expect((await door.list({ user_id: user.id })).data!.filter((task) => task.id === id)).toHaveLength(1)
  })

  it('makes one task of racing creates with one id', async () => {
    const { user, door } = await setup()
    const id = randomUUID()
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) => door.create({ user_id: user.id, id, title: `racer ${i}` })),
    )
    // At REST the first is 201 and the replays 200; tRPC answers 200 alike.
    if (name === 'rest') expect(outcomes.filter((outcome) => outcome.status === 201)).toHaveLength(1)
    expect(new Set(outcomes.map((outcome) => JSON.stringify(outcome.data)))).toHaveProperty('size', 1)
    const listed = (await door.list({ user_id: user.id })).data!
    expect(listed.filter((task) => task.id === id)).toHaveLength(1)
  })

  it('answers 409 for an id another user has, and shows nothing of their task', async () => {
    const { user, door } = await setup()
    const other = await newUser()
    const theirs = (await makeDoor(server.url, other.token).create({ user_id: other.id, title: 'secret' })).data!
    const outcome = await door.create({ user_id: user.id, id: theirs.id, title: 'mine?' })
    expect(outcome).toMatchObject({ status: 409, code: 'CONFLICT' })
    expect(JSON.stringify(outcome)).not.toContain('secret')
  })
})

describe('HTTP of the REST door: ETag, If-None-Match, If-Match, Idempotent-Replayed', () => {
  const server = useServer()
  const setup = async () => {
    const user = await newUser()
    const rest = restClient(server.url, user.id, user.token)
    const created = await rest.create({ title: 'tagged' })
    return { user, rest, created, task: created.body as Task }
  }

  it('sends the version as a strong ETag on every answer with one task', async () => {
    const { rest, created, task } = await setup()
    expect(created.headers.get('etag')).toBe('"1"')
    expect((await rest.get(task.id)).headers.get('etag')).toBe('"1"')
    expect((await rest.update(task.id, { title: 'x' })).headers.get('etag')).toBe('"2"')
    expect((await rest.complete(task.id)).headers.get('etag')).toBe('"3"')
  })

  it('answers a GET with a matching If-None-Match 304 with no body, and 200 otherwise', async () => {
    const { rest, task } = await setup()
    for (const tag of ['"1"', 'W/"1"', '"7", "1"', '*']) {
      const response = await rest.call('GET', `/${task.id}`, { headers: { 'if-none-match': tag } })
      expect(response.status, tag).toBe(304)
      expect(response.text).toBe('')
      expect(response.headers.get('etag')).toBe('"1"')
    }
    const stale = await rest.call('GET', `/${task.id}`, { headers: { 'if-none-match': '"2"' } })
    expect(stale.status).toBe(200)
    expect(stale.body).toEqual(task)
  })

  it('honours If-Match on PUT, PATCH …/complete and DELETE', async () => {
    const { rest, task } = await setup()
    const put = await rest.call('PUT', `/${task.id}`, { body: { title: 'y' }, headers: { 'if-match': '"1"' } })
    expect(put.status).toBe(200)
    const stale = await rest.call('PATCH', `/${task.id}/complete`, { headers: { 'if-match': '"1"' } })
    expect(stale.status).toBe(412)
    expect(stale.body).toMatchObject({ code: 'PRECONDITION_FAILED', current: { id: task.id, version: 2 } })
    const any = await rest.call('PATCH', `/${task.id}/complete`, { headers: { 'if-match': '*' } })
    expect(any.status).toBe(200)
    const gone = await rest.call('DELETE', `/${task.id}`, { headers: { 'if-match': '"3"' } })
    expect(gone.status).toBe(204)
  })

  it.each(['W/"1"', 'abc', '1', '"1", "2"', '""', '"0"', '"99999999999"'])(
    'refuses If-Match: %s with 400 and writes nothing',
    async (tag) => {
      const { rest, task } = await setup()
      for (const response of [
        await rest.call('PUT', `/${task.id}`, { body: { title: 'no' }, headers: { 'if-match': tag } }),
        await rest.call('PATCH', `/${task.id}/complete`, { headers: { 'if-match': tag } }),
        await rest.call('DELETE', `/${task.id}`, { headers: { 'if-match': tag } }),
      ]) {
        expect(response.status).toBe(400)
        expect(response.body).toMatchObject({ code: 'BAD_REQUEST', issues: [{ path: ['If-Match'] }] })
      }
      expect((await rest.get(task.id)).body).toEqual(task)
    },
  )

  it('marks a replayed create with Idempotent-Replayed: true and 200', async () => {
    const { rest } = await setup()
    const id = randomUUID()
    const first = await rest.create({ id, title: 'retry me' })
    expect(first.status).toBe(201)
    expect(first.headers.get('idempotent-replayed')).toBeNull()
    const again = await rest.create({ id, title: 'retry me' })
    expect(again.status).toBe(200)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.body).toEqual(first.body)
  })
})

describe.each(doors)('the change feed at the %s door', (name, makeDoor) => {
  const server = useServer()
  const setup = async () => {
    const user = await newUser()
    return { user, door: makeDoor(server.url, user.token) }
  }
  const idsOf = (changes: Change[]) => changes.map((change) => `${change.op} ${change.id}`)

  it('gives every current task as an upsert without since, paged, then the cursor to go on from', async () => {
    const { user, door } = await setup()
    const tasks: Task[] = []
    for (let i = 0; i < 7; i++) tasks.push((await door.create({ user_id: user.id, title: `t${i}` })).data!)
    await door.remove({ user_id: user.id, id: tasks[6]!.id })
    const first = (await door.changes({ user_id: user.id, limit: 4 })).data!
    expect(first.has_more).toBe(true)
    expect(first.changes).toHaveLength(4)
    const rest = (await door.changes({ user_id: user.id, since: first.cursor, limit: 4 })).data!
    expect(rest.has_more).toBe(false)
    const all = [...first.changes, ...rest.changes]
    expect(all.filter((c) => c.op === 'upsert').map((c) => c.task)).toEqual(tasks.slice(0, 6))
    const after = (await door.changes({ user_id: user.id, since: rest.cursor })).data!
    expect(after).toMatchObject({ changes: [], has_more: false })
  })

  it('leaves tombstones out of a first sync that ends on the head', async () => {
    const { user, door } = await setup()
    const gone = (await door.create({ user_id: user.id, title: 'gone' })).data!
    await door.remove({ user_id: user.id, id: gone.id })
    const first = (await door.changes({ user_id: user.id })).data!
    expect(first).toMatchObject({ changes: [], has_more: false })
    const kept = (await door.create({ user_id: user.id, title: 'kept' })).data!
    expect(idsOf((await door.changes({ user_id: user.id, since: first.cursor })).data!.changes)).toEqual([
      `upsert ${kept.id}`,
    ])
  })

  it('gives what changed since a cursor in commit order, a task once as it is now, deletions as tombstones', async () => {
    const { user, door } = await setup()
    const a = (await door.create({ user_id: user.id, title: 'a' })).data!
    const b = (await door.create({ user_id: user.id, title: 'b' })).data!
    const { cursor } = (await door.changes({ user_id: user.id })).data!
    await door.update({ user_id: user.id, id: a.id, title: 'a2' })
    await door.remove({ user_id: user.id, id: b.id })
    const c = (await door.create({ user_id: user.id, title: 'c' })).data!
    await door.complete({ user_id: user.id, id: a.id })
    const page = (await door.changes({ user_id: user.id, since: cursor })).data!
    expect(idsOf(page.changes)).toEqual([`delete ${b.id}`, `upsert ${c.id}`, `upsert ${a.id}`])
    const [removed, , changed] = page.changes
    expect(removed).toEqual({ op: 'delete', id: b.id, task: null, at: expect.any(String) })
    expect(changed).toMatchObject({ op: 'upsert', task: { title: 'a2', completed: true, version: 3 } })
  })

  it('refuses what is not a cursor of this user’s feed with 400', async () => {
    const { user, door } = await setup()
    const other = await newUser()
    const theirs = (await makeDoor(server.url, other.token).changes({ user_id: other.id })).data!.cursor
    await door.create({ user_id: user.id, title: 'a' })
    await door.create({ user_id: user.id, title: 'b' })
    const listCursor = (await door.page({ user_id: user.id, limit: 1 })).data!.next_cursor!
    const mine = (await door.changes({ user_id: user.id })).data!.cursor
    const forged = Buffer.from('["c","x","1",0]').toString('base64url')
    // An empty `since=` in a URL is no since at all; at tRPC it is a string that is no cursor.
    for (const since of ['garbage', theirs, listCursor, forged, ...(name === 'trpc' ? [''] : [])]) {
      const outcome = await door.changes({ user_id: user.id, since })
      expect(outcome, since).toMatchObject({ status: 400, code: 'BAD_REQUEST' })
    }
    // …and a change cursor is no list cursor.
    expect((await door.page({ user_id: user.id, cursor: mine })).status).toBe(400)
  })

  it('never shows another user’s changes', async () => {
    const { user, door } = await setup()
    const other = await newUser()
    const theirs = makeDoor(server.url, other.token)
    const start = (await door.changes({ user_id: user.id })).data!.cursor
    await theirs.create({ user_id: other.id, title: 'not yours' })
    const mine = (await door.create({ user_id: user.id, title: 'yours' })).data!
    expect(idsOf((await door.changes({ user_id: user.id, since: start })).data!.changes)).toEqual([`upsert ${mine.id}`])
    expect((await door.changes({ user_id: other.id })).status).toBe(403)
  })

  it('answers 410 CURSOR_EXPIRED for a cursor older than SYNC_RETENTION', async () => {
    const short = await startServer({ SYNC_RETENTION: '1h' })
    try {
      const user = await newUser()
      const door = makeDoor(short.url, user.token)
      const cursor = (await door.changes({ user_id: user.id })).data!.cursor
      const [tag, userTag, seq] = JSON.parse(Buffer.from(cursor, 'base64url').toString())
      const old = Buffer.from(JSON.stringify([tag, userTag, seq, Date.now() - 2 * 3600_000])).toString('base64url')
      const outcome = await door.changes({ user_id: user.id, since: old })
      expect(outcome).toMatchObject({ status: 410, code: 'CURSOR_EXPIRED' })
      expect((await door.changes({ user_id: user.id, since: cursor })).status).toBe(200)
    } finally {
      await short.app.close()
    }
  })

  it(`is described at the ${name} door with its limits`, async () => {
    const { user, door } = await setup()
    expect((await door.changes({ user_id: user.id, limit: 501 })).status).toBe(400)
    expect((await door.changes({ user_id: user.id, limit: 0 })).status).toBe(400)
  })
})

describe.each(doors)('a client syncing through the %s door while 4 writers work', (_name, makeDoor) => {
  const server = useServer()

  it('converges on exactly the server’s tasks after 500 random writes', { timeout: 120_000 }, async () => {
    const user = await newUser()
    const door = makeDoor(server.url, user.token)
    const local = new Map<string, Task>()
    let cursor: string | undefined
    const poll = async () => {
      for (;;) {
        const page = (await door.changes({ user_id: user.id, since: cursor, limit: 50 })).data!
        for (const change of page.changes) {
          if (change.op === 'delete') local.delete(change.id)
          else local.set(change.id, change.task)
        }
        cursor = page.cursor
        if (!page.has_more) return
      }
    }
    let seed = 7
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const ids: string[] = []
    let writes = 0
    let writing = true
    const writer = async () => {
      while (writes < 500) {
        writes++
        const r = random()
        const id = ids[Math.floor(random() * ids.length)]
        if (r < 0.35 || !id) {
          const task = (await door.create({ user_id: user.id, title: `w ${writes}` })).data
          if (task) ids.push(task.id)
        } else if (r < 0.6) await door.update({ user_id: user.id, id, title: `u ${writes}`, description: `${r}` })
        else if (r < 0.85) await door.complete({ user_id: user.id, id })
        else {
          await door.remove({ user_id: user.id, id })
          ids.splice(ids.indexOf(id), 1)
        }
      }
    }
    const poller = (async () => {
      while (writing) {
        await poll()
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })()
    await Promise.all([writer(), writer(), writer(), writer()])
    writing = false
    await poller
    await poll()
    const server_ = (await door.list({ user_id: user.id, limit: 500 })).data!
    const byId = (tasks: Iterable<Task>) => [...tasks].sort((a, b) => (a.id < b.id ? -1 : 1))
    expect(byId(local.values())).toEqual(byId(server_))
  })
})

describe('tombstones past SYNC_RETENTION', () => {
  it('are forgotten by the server itself, shortly after it starts', async () => {
    const { db } = await testDatabase()
    const user = await newUser()
    const first = await startServer()
    let id: string
    try {
      const rest = restClient(first.url, user.id, user.token)
      id = (await rest.create({ title: 'old' })).body.id
      await rest.remove(id)
    } finally {
      await first.app.close()
    }
    await sql`update task_changes set at = now() - interval '2 hours' where task_id = ${id}`.execute(db)
    const tombstones = () =>
      db.selectFrom('task_changes').select('op').where('task_id', '=', id).where('user_id', '=', user.id).execute()
    expect(await tombstones()).toEqual([{ op: 'delete' }])
    // With a retention of an hour (plus the day the server waits beyond it) two hours is not enough…
    const kept = await startServer({ SYNC_RETENTION: '1h' })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await kept.app.close()
    expect(await tombstones()).toHaveLength(1)
    // …but two days are.
    await sql`update task_changes set at = now() - interval '2 days' where task_id = ${id}`.execute(db)
    const purging = await startServer({ SYNC_RETENTION: '1h' })
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await purging.app.close()
    expect(await tombstones()).toEqual([])
  })
})

if (!postgresServerUrl) console.info('skipped: the slow-transaction sync test needs PostgreSQL (TEST_DATABASE_URL)')

describe.skipIf(!postgresServerUrl)('a slow transaction that took its place in the feed first', () => {
  const server = useServer()

  it('is delivered, and a later write of the same user is numbered after it', async () => {
    const user = await newUser()
    const rest = restClient(server.url, user.id, user.token)
    const task = (await rest.create({ title: 'fast' })).body as Task
    const changesSince = async (since: string) =>
      (await rest.call('GET', `/changes?since=${since}`)).body.changes as Change[]
    const { cursor } = (await rest.call('GET', '/changes')).body
    // A writer outside the API opens a transaction and changes the task: its change takes its
    // place in the feed now, and commits only later.
    const slow = new pg.Client({ connectionString: inject('databaseUrl') })
    await slow.connect()
    try {
      await slow.query('begin')
      await slow.query(`update tasks set title = 'slow' where id = $1`, [task.id])
      // A write of the same user through the API waits for it; another user's does not.
      let quickDone = false
      const quick = rest.create({ title: 'quick' }).then((response) => {
        quickDone = true
        return response
      })
      const other = await newUser()
      expect((await restClient(server.url, other.id, other.token).create({ title: 'other' })).status).toBe(201)
      await new Promise((resolve) => setTimeout(resolve, 300))
      expect(quickDone).toBe(false)
      // Nothing is handed out past the change that has not committed.
      expect(await changesSince(cursor)).toEqual([])
      await slow.query('commit')
      const created = (await quick).body as Task
      const delivered = await changesSince(cursor)
      expect(delivered.map((change) => change.task?.title)).toEqual(['slow', 'quick'])
      expect(delivered[1]?.id).toBe(created.id)
    } finally {
      await slow.end()
    }
  })
})
