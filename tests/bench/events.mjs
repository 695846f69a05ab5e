// `pnpm bench:events`: live events at scale, on PostgreSQL, with the built server. Two instances
// on one database: B holds STREAMS open event streams (USERS users x STREAMS/USERS each, REST
// `GET …/tasks/events`), A takes writes at a steady RATE (creates of those users' tasks). It
// reports, at B, the time from a write's commit (its answer at A) to its event on each stream
// (p50/p99; goal p99 <= 100 ms), B's RSS before and after opening the streams (goal <= 30 MB per
// 1,000 streams), then runs `pnpm bench`'s write scenarios with the doorbell on and off
// (EVENTS=false) in one run (goal >= 0.9x). Never part of `pnpm test`.
//   env: BENCH_DATABASE_URL  STREAMS (1000)  USERS (100)  RATE (writes/s, 100)  DURATION (s, 20)
//        SKIP_DOORBELL=1 (no write-scenario comparison)
import { spawn } from 'node:child_process'
import { fmt, freshPostgres, printTable, requireBuild, rssMb, SECRET, startServer, tokenFor } from './lib.mjs'

requireBuild()
const STREAMS = Number(process.env.STREAMS ?? 1000)
const USERS = Number(process.env.USERS ?? 100)
const RATE = Number(process.env.RATE ?? 100)
const DURATION = Number(process.env.DURATION ?? 20)

const database = await freshPostgres('todo_bench_events', { asyncCommit: true })
if (!database) process.exit(0)

const env = { DATABASE_URL: database.url, AUTH_JWT_SECRET: SECRET, RATE_LIMIT_PER_MINUTE: '0' }
const writer = await startServer(env, { pin: false })
const listener = await startServer({ ...env, EVENTS_MAX_STREAMS_PER_USER: '10000' })
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
const streams = []
try {
  const users = []
  for (let i = 0; i < USERS; i++) {
    const id = crypto.randomUUID()
    users.push({ id, token: await tokenFor(id, `events${i}@bench.invalid`) })
  }
  // First sight provisions each user.
  for (const user of users) {
    await fetch(`${writer.url}/api/${user.id}/tasks?limit=1`, { headers: { authorization: `Bearer ${user.token}` } })
  }
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const rssBefore = rssMb(listener.pid)

  /** Receipts: task id -> times its event reached a stream. */
  const received = new Map()
  for (let i = 0; i < STREAMS; i++) {
    const user = users[i % USERS]
    const controller = new AbortController()
    const response = await fetch(`${listener.url}/api/${user.id}/tasks/events`, {
      headers: { authorization: `Bearer ${user.token}`, accept: 'text/event-stream' },
      signal: controller.signal,
    })
    if (response.status !== 200) throw new Error(`stream ${i}: ${response.status} ${await response.text()}`)
    streams.push(controller)
    void (async () => {
      const decoder = new TextDecoder()
      let buffer = ''
      try {
        for await (const chunk of response.body) {
          const now = performance.now()
          buffer += decoder.decode(chunk, { stream: true })
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            const frame = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const data = /^data: (.*)$/m.exec(frame)?.[1]
            if (!data) continue
            const { id } = JSON.parse(data)
            if (!received.has(id)) received.set(id, [])
            received.get(id).push(now)
          }
        }
      } catch {
        // aborted at the end
      }
    })()
  }
  await new Promise((resolve) => setTimeout(resolve, 3000))
  const rssAfter = rssMb(listener.pid)

  // Steady writes at A, each timed at its answer (its commit came just before).
  const committed = new Map()
  const started = performance.now()
  let sent = 0
  let failed = 0
  const inFlight = new Set()
  while (performance.now() - started < DURATION * 1000) {
    const due = started + (sent * 1000) / RATE
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    const user = users[sent % USERS]
    sent++
    const write = fetch(`${writer.url}/api/${user.id}/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: `event ${sent}` }),
    })
      .then(async (response) => {
        const at = performance.now()
        if (response.status !== 201) failed++
        else committed.set((await response.json()).id, at)
      })
      .catch(() => failed++)
      .finally(() => inFlight.delete(write))
    inFlight.add(write)
  }
  await Promise.all(inFlight)
  await new Promise((resolve) => setTimeout(resolve, 2000))

  const latencies = []
  let missing = 0
  const perUser = STREAMS / USERS
  for (const [id, at] of committed) {
    const receipts = received.get(id) ?? []
    missing += perUser - receipts.length
    for (const time of receipts) latencies.push(Math.max(0, time - at))
  }
  latencies.sort((a, b) => a - b)
  console.log(
    `\nlive events: ${STREAMS} streams on instance B (${USERS} users x ${perUser}), writes at ${RATE}/s for ${DURATION} s on instance A`,
  )
  printTable(
    [
      'writes',
      'failed',
      'events expected',
      'missing',
      'p50 ms',
      'p99 ms',
      'max ms',
      'B RSS before',
      'after',
      'per 1,000',
    ],
    [
      [
        String(committed.size),
        String(failed),
        String(committed.size * perUser),
        String(missing),
        fmt(percentile(latencies, 50), 1),
        fmt(percentile(latencies, 99), 1),
        fmt(latencies.at(-1), 1),
        fmt(rssBefore, 0),
        fmt(rssAfter, 0),
        fmt(((rssAfter - rssBefore) * 1000) / STREAMS, 1),
      ],
    ],
  )
  console.log('(latency: from the write’s answer at A to its event on each stream at B; RSS in MB)')
} finally {
  for (const controller of streams) controller.abort()
  await listener.stop()
  await writer.stop()
  await database.cleanup()
}

if (process.env.SKIP_DOORBELL !== '1') {
  console.log('\nwrite scenarios with the doorbell on (default) and off (EVENTS=false), alternating rounds:')
  const child = spawn(process.execPath, ['bench/run.mjs'], {
    cwd: new URL('..', import.meta.url),
    stdio: 'inherit',
    env: {
      ...process.env,
      DATABASES: 'pg',
      SCENARIOS: process.env.SCENARIOS ?? 'create,toggle,mixed',
      VARIANTS: 'doorbell:;off:EVENTS=false',
      ROUNDS: process.env.ROUNDS ?? '2',
    },
  })
  await new Promise((resolve) => child.once('exit', resolve))
}
