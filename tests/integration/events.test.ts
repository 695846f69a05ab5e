// Live events: `tasks.events` over SSE at the tRPC door (through the SDK's client) and
// `GET /api/{user_id}/tasks/events` at the REST door, on the suite's database; across two
// instances and through a lost listening connection on PostgreSQL.
import type { Change } from '@todo/contracts'
import { createTodoClient, toTodoApiError } from '@todo-api/client-sdk'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { newUser, newUserId, tokenFor } from '../setup/auth.js'
import { restClient } from '../setup/http.js'
import { admin, postgresServerUrl } from '../setup/postgres.js'
import { startServer, type TestServer, useServer } from '../setup/server.js'
import { type EventStream, openEventStream, type SseEvent } from '../setup/sse.js'

const eventsUrl = (base: string, userId: string) => `${base}/api/${encodeURIComponent(userId)}/tasks/events`
const changeOf = (event: SseEvent | undefined) => JSON.parse(event?.data ?? 'null') as Change

/** The next `count` events of a stream (or fails after `timeoutMs` each). */
async function take(stream: EventStream, count: number, timeoutMs = 5000): Promise<SseEvent[]> {
  const events: SseEvent[] = []
  while (events.length < count) {
    const event = await stream.next(timeoutMs)
    if (!event) throw new Error(`stream ended or went quiet after ${events.length} of ${count} events`)
    events.push(event)
  }
  return events
}

/** Waits until the stream is registered on the server (its first frame, `retry:`, has arrived). */
async function opened(stream: EventStream) {
  for (let i = 0; i < 100 && stream.frames.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
}

describe('GET /api/{user_id}/tasks/events', () => {
  const server = useServer()

  it('streams each change as it commits: id, event and data, from both doors', async () => {
    const user = await newUser()
    const rest = restClient(server.url, user.id, user.token)
    const stream = await openEventStream(eventsUrl(server.url, user.id), { token: user.token })
    try {
      expect(stream.status).toBe(200)
      expect(stream.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
      expect(stream.headers.get('x-request-id')).toBeTruthy()
      await opened(stream)
      expect(stream.frames[0]).toMatchObject({ retry: 1000 })
      const started = Date.now()
      const task = (await rest.create({ title: 'live' })).body
      const [created] = await take(stream, 1)
      expect(Date.now() - started).toBeLessThan(2000)
      expect(created).toMatchObject({ event: 'upsert', id: expect.any(String) })
      expect(changeOf(created)).toEqual({ op: 'upsert', id: task.id, task, at: task.updated_at })
      const client = createTodoClient({ baseUrl: server.url, getToken: () => user.token })
      await client.tasks.delete.mutate({ user_id: user.id, id: task.id })
      const [deleted] = await take(stream, 1)
      expect(deleted).toMatchObject({ event: 'delete' })
      expect(changeOf(deleted)).toMatchObject({ op: 'delete', id: task.id, task: null })
      // Each id is a feed cursor: the change feed goes on from it.
      const after = await rest.call('GET', `/changes?since=${encodeURIComponent(created!.id!)}`)
      expect(after.body.changes.map((c: Change) => c.op)).toEqual(['delete'])
    } finally {
      stream.close()
    }
  })

  it('replays, after Last-Event-ID, all 50 writes made while disconnected, in order, none twice', async () => {
    const user = await newUser()
    const rest = restClient(server.url, user.id, user.token)
    const first = await openEventStream(eventsUrl(server.url, user.id), { token: user.token })
    await opened(first)
    await rest.create({ title: 'seen' })
    const [seen] = await take(first, 1)
    first.close()
    const titles: string[] = []
    for (let i = 0; i < 50; i++) {
      titles.push(`missed ${i}`)
      await rest.create({ title: `missed ${i}` })
    }
    const resumed = await openEventStream(eventsUrl(server.url, user.id), {
      token: user.token,
      lastEventId: seen!.id,
    })
    try {
      const replayed = await take(resumed, 50)
      expect(replayed.map((event) => changeOf(event).task?.title)).toEqual(titles)
      await rest.create({ title: 'live again' })
      expect(changeOf((await take(resumed, 1))[0]).task?.title).toBe('live again')
      expect(await resumed.next(300)).toBeUndefined()
    } finally {
      resumed.close()
    }
  })

  it('refuses before streaming: no token 401, another user’s path 403, a bad or expired Last-Event-ID', async () => {
    const user = await newUser()
    expect((await openEventStream(eventsUrl(server.url, user.id))).status).toBe(401)
    const other = await openEventStream(eventsUrl(server.url, newUserId()), { token: user.token })
    expect(other).toMatchObject({ status: 403, body: { code: 'FORBIDDEN' } })
    const bad = await openEventStream(eventsUrl(server.url, user.id), { token: user.token, lastEventId: 'nope' })
    expect(bad).toMatchObject({ status: 400, body: { code: 'BAD_REQUEST', issues: [{ path: ['lastEventId'] }] } })
  })

  it('ends the stream with an error event when the token expires', async () => {
    const id = newUserId()
    const token = await tokenFor(id, { expiresIn: '2s' })
    const stream = await openEventStream(eventsUrl(server.url, id), { token })
    expect(stream.status).toBe(200)
    const ending = await stream.next(5000)
    expect(ending).toMatchObject({ event: 'error' })
    expect(JSON.parse(ending!.data!)).toMatchObject({ code: 'UNAUTHORIZED' })
    for (let i = 0; i < 50 && !stream.ended(); i++) await new Promise((r) => setTimeout(r, 20))
    expect(stream.ended()).toBe(true)
  })

  it('allows 20 streams per user, and answers the 21st 429', async () => {
    const user = await newUser()
    const streams = await Promise.all(
      Array.from({ length: 20 }, () => openEventStream(eventsUrl(server.url, user.id), { token: user.token })),
    )
    try {
      expect(streams.map((stream) => stream.status)).toEqual(Array(20).fill(200))
      const extra = await openEventStream(eventsUrl(server.url, user.id), { token: user.token })
      expect(extra).toMatchObject({ status: 429, body: { code: 'TOO_MANY_REQUESTS' } })
      const client = createTodoClient({ baseUrl: server.url, getToken: () => user.token })
      const refused = await new Promise<unknown>((resolve) => {
        const sub = client.tasks.events.subscribe(
          { user_id: user.id },
          { onError: (error) => resolve(error), onData: () => resolve('data') },
        )
        setTimeout(() => sub.unsubscribe(), 5000)
      })
      expect(toTodoApiError(refused)).toMatchObject({ code: 'TOO_MANY_REQUESTS', status: 429 })
    } finally {
      for (const stream of streams) stream.close()
    }
    // Closed streams free their places.
    await new Promise((r) => setTimeout(r, 200))
    const again = await openEventStream(eventsUrl(server.url, user.id), { token: user.token })
    expect(again.status).toBe(200)
    again.close()
  })

  it('keeps every user’s events to that user’s streams, with many users writing at once', {
    timeout: 60_000,
  }, async () => {
    const users = await Promise.all(Array.from({ length: 12 }, () => newUser()))
    const streams = await Promise.all(
      users.flatMap((user) => [0, 1].map(() => openEventStream(eventsUrl(server.url, user.id), { token: user.token }))),
    )
    try {
      await Promise.all(streams.map(opened))
      const written = new Map(users.map((user) => [user.id, [] as string[]]))
      await Promise.all(
        users.map(async (user, u) => {
          const rest = restClient(server.url, user.id, user.token)
          for (let i = 0; i < 15; i++) {
            const task = (await rest.create({ title: `${u}:${i}` })).body
            written.get(user.id)!.push(task.id)
          }
        }),
      )
      for (const [index, stream] of streams.entries()) {
        const user = users[Math.floor(index / 2)]!
        const events = await take(stream, 15)
        expect(events.map((event) => changeOf(event).id)).toEqual(written.get(user.id))
        expect(events.every((event) => changeOf(event).task?.user_id === user.id)).toBe(true)
        expect(await stream.next(100)).toBeUndefined()
      }
    } finally {
      for (const stream of streams) stream.close()
    }
  })
})

describe('tasks.events through the SDK’s tRPC client', () => {
  const server = useServer()

  it('delivers tracked changes over SSE with the token in a header', async () => {
    const user = await newUser()
    const client = createTodoClient({ baseUrl: server.url, getToken: () => user.token })
    const received: { id: string; data: Change }[] = []
    let started = false
    const sub = client.tasks.events.subscribe(
      { user_id: user.id },
      { onStarted: () => (started = true), onData: (event) => received.push(event) },
    )
    try {
      for (let i = 0; i < 100 && !started; i++) await new Promise((r) => setTimeout(r, 20))
      const task = await client.tasks.create.mutate({ user_id: user.id, title: 'over trpc' })
      // The feed keeps a task's latest state: a stream that reads after both writes gets only
      // the second, so the second write waits for the first event.
      for (let i = 0; i < 100 && received.length < 1; i++) await new Promise((r) => setTimeout(r, 20))
      await client.tasks.complete.mutate({ user_id: user.id, id: task.id })
      for (let i = 0; i < 100 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 20))
      expect(received.map((event) => [event.data.op, event.data.task?.version])).toEqual([
        ['upsert', 1],
        ['upsert', 2],
      ])
      const feed = await client.tasks.changes.query({ user_id: user.id, since: received[0]!.id })
      expect(feed.changes).toEqual([received[1]!.data])
    } finally {
      sub.unsubscribe()
    }
  })

  it('resubscribes with a fresh token when its token expires, and misses nothing', async () => {
    const id = newUserId()
    let tokens = 0
    const client = createTodoClient({
      baseUrl: server.url,
      getToken: () => {
        tokens++
        return tokenFor(id, { expiresIn: '2s', claims: { n: tokens } })
      },
    })
    const titles: string[] = []
    const sub = client.tasks.events.subscribe(
      { user_id: id },
      { onData: (event) => titles.push(event.data.task!.title) },
    )
    try {
      const writer = createTodoClient({ baseUrl: server.url, getToken: () => tokenFor(id) })
      for (let i = 0; i < 8; i++) {
        await writer.tasks.create.mutate({ user_id: id, title: `t${i}` })
        await new Promise((r) => setTimeout(r, 500))
      }
      for (let i = 0; i < 100 && titles.length < 8; i++) await new Promise((r) => setTimeout(r, 50))
      expect(titles).toEqual(Array.from({ length: 8 }, (_, i) => `t${i}`))
      expect(tokens).toBeGreaterThan(1)
    } finally {
      sub.unsubscribe()
    }
  })
})

describe('EVENTS=false', () => {
  const server = useServer({ EVENTS: 'false' })

  it('opens no stream (404) and keeps the change feed', async () => {
    const user = await newUser()
    const stream = await openEventStream(eventsUrl(server.url, user.id), { token: user.token })
    expect(stream).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } })
    const rest = restClient(server.url, user.id, user.token)
    await rest.create({ title: 'still in the feed' })
    expect((await rest.call('GET', '/changes')).body.changes).toHaveLength(1)
  })
})

if (!postgresServerUrl) console.info('skipped: live events across instances need PostgreSQL (TEST_DATABASE_URL)')

describe.skipIf(!postgresServerUrl)('live events across instances, on PostgreSQL', () => {
  let a: TestServer
  let b: TestServer
  beforeAll(async () => {
    a = await startServer()
    b = await startServer()
  })
  afterAll(async () => {
    await a?.app.close()
    await b?.app.close()
  })

  it('brings a change made through instance A to a stream on instance B', async () => {
    const user = await newUser()
    const stream = await openEventStream(eventsUrl(b.url, user.id), { token: user.token })
    try {
      await opened(stream)
      const started = Date.now()
      const task = (await restClient(a.url, user.id, user.token).create({ title: 'from A' })).body
      const [event] = await take(stream, 1)
      expect(changeOf(event).id).toBe(task.id)
      expect(Date.now() - started).toBeLessThan(2000)
    } finally {
      stream.close()
    }
  })

  it('hears nothing of the writes of an instance with EVENTS=false until a doorbell rings: the feed has them', async () => {
    const quiet = await startServer({ EVENTS: 'false' })
    const user = await newUser()
    const stream = await openEventStream(eventsUrl(b.url, user.id), { token: user.token })
    try {
      await opened(stream)
      await restClient(quiet.url, user.id, user.token).create({ title: 'silent' })
      expect(await stream.next(500)).toBeUndefined()
      await restClient(a.url, user.id, user.token).create({ title: 'ringing' })
      const events = await take(stream, 2)
      expect(events.map((event) => changeOf(event).task?.title)).toEqual(['silent', 'ringing'])
    } finally {
      stream.close()
      await quiet.app.close()
    }
  })

  it('rings once per batch of concurrent writes, naming the head of the feed, not once per write', async () => {
    const user = await newUser()
    const heard: string[] = []
    const listener = new pg.Client({ connectionString: inject('databaseUrl')! })
    await listener.connect()
    try {
      listener.on('notification', (message) => {
        if (message.payload?.startsWith(`${user.id} `)) heard.push(message.payload)
      })
      await listener.query('listen todo_task_changes')
      const rest = restClient(a.url, user.id, user.token)
      await Promise.all(Array.from({ length: 60 }, (_, i) => rest.create({ title: `burst ${i}` })))
      const { rows } = await listener.query<{ seq: string }>(
        'select max(seq)::text as seq from task_changes where user_id = $1',
        [user.id],
      )
      // Every write was announced, in fewer notifications than writes; the last names the
      // feed's head: the position of the last of the 60 changes.
      await expect.poll(() => heard.at(-1), { timeout: 2000 }).toBe(`${user.id} ${rows[0]!.seq}`)
      expect(heard.length).toBeLessThan(60)
    } finally {
      await listener.end()
    }
  })

  it('delivers every change when the listening connection is killed while writes go on', async () => {
    const user = await newUser()
    const stream = await openEventStream(eventsUrl(b.url, user.id), { token: user.token })
    try {
      await opened(stream)
      const rest = restClient(a.url, user.id, user.token)
      const database = new URL(inject('databaseUrl')!).pathname.slice(1)
      const ids: string[] = []
      for (let i = 0; i < 30; i++) {
        if (i === 10 || i === 20) {
          await admin(
            postgresServerUrl!,
            `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${database}' and application_name = 'todo-api-listener'`,
          )
        }
        ids.push((await rest.create({ title: `w${i}` })).body.id)
      }
      const events = await take(stream, 30, 10_000)
      expect(events.map((event) => changeOf(event).id)).toEqual(ids)
      expect(await stream.next(300)).toBeUndefined()
    } finally {
      stream.close()
    }
  })
})
