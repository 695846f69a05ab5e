// Operating it: probes, request ids and the request log, metrics, and the drain on SIGTERM.
import { Writable } from 'node:stream'
import { buildApp, loadConfig } from '@todo/server'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { newUser, TEST_SECRET, tokenFor } from '../setup/auth.js'
import { testDatabase } from '../setup/database.js'
import { request, restClient } from '../setup/http.js'
import { startServerProcess } from '../setup/process.js'
import { testEnv, useServer } from '../setup/server.js'
import { openEventStream } from '../setup/sse.js'
import { trpcClient } from '../setup/trpc.js'

describe('probes', () => {
  const server = useServer()

  it('/livez answers while the process runs, /readyz when the database and schema are ready', async () => {
    expect(await request(server.url, 'GET', '/livez')).toMatchObject({ status: 200, body: { status: 'ok' } })
    expect(await request(server.url, 'GET', '/readyz')).toMatchObject({
      status: 200,
      body: { status: 'ok', database: 'ok', schema: 'current' },
    })
    expect((await request(server.url, 'GET', '/health')).status).toBe(200)
  })

  it('/readyz fails at once, with its reason, when the server drains', async () => {
    const { startServer } = await import('../setup/server.js')
    const draining = await startServer()
    try {
      draining.app.startDraining()
      const ready = await request(draining.url, 'GET', '/readyz')
      expect(ready).toMatchObject({ status: 503, body: { reason: 'draining' } })
      expect(ready.headers.get('connection')).toBe('close')
      expect((await request(draining.url, 'GET', '/livez')).status).toBe(200)
    } finally {
      await draining.app.close()
    }
  })
})

describe('request ids and the request log', () => {
  const lines: Record<string, unknown>[] = []
  let url: string
  let close: () => Promise<void>
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line))
        done()
      },
    })
    const app = await buildApp(loadConfig(testEnv({ LOG_LEVEL: 'info', METRICS: 'true' })), {
      database: await testDatabase(),
      logStream: sink,
    })
    url = await app.listen({ port: 0, host: '127.0.0.1' })
    close = () => app.close()
  })
  afterAll(() => close?.())
  const lineOf = (id: string | null) => lines.filter((line) => line.request_id === id)

  it('keeps a sane X-Request-Id of the caller, and makes one otherwise', async () => {
    const user = await newUser()
    const mine = await request(url, 'GET', `/api/${user.id}/tasks`, {
      token: user.token,
      headers: { 'x-request-id': 'lb-7f3a:42' },
    })
    expect(mine.headers.get('x-request-id')).toBe('lb-7f3a:42')
    for (const insane of ['x'.repeat(200), 'has space', 'naïve', '']) {
      const answer = await request(url, 'GET', '/livez', { headers: { 'x-request-id': insane } })
      expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    }
  })

  it('writes one JSON line per request: id, door, procedure, user, status, duration', async () => {
    const user = await newUser()
    const rest = await request(url, 'POST', `/api/${user.id}/tasks`, { token: user.token, body: { title: 'logged' } })
    const restId = rest.headers.get('x-request-id')
    await trpcClient(url, user.token).tasks.list.query({ user_id: user.id })
    const missing = await request(url, 'GET', `/api/${user.id}/tasks/${crypto.randomUUID()}`, { token: user.token })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(lineOf(restId)).toEqual([
      expect.objectContaining({
        msg: 'request',
        method: 'POST',
        url: `/api/${user.id}/tasks`,
        door: 'rest',
        procedure: 'tasks.create',
        user: user.id,
        status: 201,
        ms: expect.any(Number),
      }),
    ])
    expect(lines.filter((line) => line.door === 'trpc' && line.user === user.id)).toEqual([
      expect.objectContaining({ procedure: 'tasks.list', status: 200 }),
    ])
    expect(lineOf(missing.headers.get('x-request-id'))).toEqual([
      expect.objectContaining({ procedure: 'tasks.get', status: 404, error: 'NOT_FOUND' }),
    ])
  })

  it('serves Prometheus metrics per procedure and door, with the pool, streams and the process', async () => {
    const user = await newUser()
    const rest = restClient(url, user.id, user.token)
    await rest.create({ title: 'counted' })
    await rest.get(crypto.randomUUID())
    await trpcClient(url, user.token).tasks.list.query({ user_id: user.id })
    const { status, text, headers } = await request(url, 'GET', '/metrics')
    expect(status).toBe(200)
    expect(headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(text).toMatch(/todo_requests_total\{door="rest",procedure="tasks.create",status="201"\} [1-9]/)
    expect(text).toMatch(/todo_requests_total\{door="trpc",procedure="tasks.list",status="200"\} [1-9]/)
    expect(text).toMatch(/todo_request_errors_total\{door="rest",procedure="tasks.get",code="NOT_FOUND"\} [1-9]/)
    expect(text).toMatch(/todo_request_duration_seconds_bucket\{le="0.1",door="trpc",procedure="tasks.list"\}/)
    expect(text).toContain('todo_event_streams ')
    expect(text).toContain('todo_nodejs_eventloop_lag_seconds')
    expect(text).toContain('todo_process_resident_memory_bytes')
    if (inject('databaseUrl')) expect(text).toMatch(/todo_db_pool_connections\{state="total"\} \d/)
  })
})

describe('SIGTERM under a steady load', () => {
  it('fails none of the requests that had started, ends streams with a retry hint, and exits within 10 s', {
    timeout: 60_000,
  }, async () => {
    const server = await startServerProcess({
      DATABASE_URL: inject('databaseUrl') ?? 'memory://',
      AUTH_JWT_SECRET: TEST_SECRET,
      RATE_LIMIT_PER_MINUTE: '0',
    })
    const id = `drain_${crypto.randomUUID()}`
    const token = await tokenFor(id)
    const stream = await openEventStream(`${server.url}/api/${id}/tasks/events`, { token })
    expect(stream.status).toBe(200)
    let signalledAt = Number.POSITIVE_INFINITY
    const outcomes: { started: number; ok: boolean; detail: string }[] = []
    let running = true
    const loop = async (n: number) => {
      const rest = restClient(server.url, id, token)
      for (let i = 0; running; i++) {
        const started = performance.now()
        try {
          const response = i % 3 === 0 ? await rest.create({ title: `load ${n}.${i}` }) : await rest.list('limit=5')
          outcomes.push({ started, ok: response.status < 300, detail: String(response.status) })
        } catch (error) {
          outcomes.push({ started, ok: false, detail: String((error as Error).cause ?? error) })
          if (started > signalledAt) return
        }
      }
    }
    const loops = Array.from({ length: 8 }, (_, n) => loop(n))
    await new Promise((resolve) => setTimeout(resolve, 1500))
    signalledAt = performance.now()
    const exit = server.stop()
    const code = await exit
    const exitedAfter = performance.now() - signalledAt
    running = false
    await Promise.all(loops)
    const before = outcomes.filter((outcome) => outcome.started < signalledAt)
    const failed = before.filter((outcome) => !outcome.ok)
    console.info(
      `drain: ${before.length} requests started before SIGTERM, ${failed.length} failed; ${outcomes.length - before.length} after; exit ${code} in ${Math.round(exitedAfter)} ms`,
    )
    expect(before.length).toBeGreaterThan(50)
    expect(failed).toEqual([])
    expect(code).toBe(0)
    expect(exitedAfter).toBeLessThan(10_000)
    // The stream carried the load's changes, then ended saying why.
    let ending = await stream.next(2000)
    while (ending?.event === 'upsert') ending = await stream.next(2000)
    expect(ending).toMatchObject({ event: 'error' })
    expect(await stream.next(1000)).toBeUndefined()
    expect(JSON.parse(ending!.data!)).toMatchObject({ code: 'SERVICE_UNAVAILABLE' })
    expect(stream.frames[0]).toMatchObject({ retry: 1000 })
    expect(server.output()).toContain('drained')
  })
})
