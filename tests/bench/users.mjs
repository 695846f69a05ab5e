// `pnpm bench:users`: thousands of users through the cluster of `pnpm cluster` (3 built
// instances on one PostgreSQL database behind HAProxy, tests/cluster/haproxy.cfg). USERS users,
// each on a keep-alive connection of its own, send the shared harness's mixed scenario at an
// open-loop total RATE (Poisson arrivals: each user thinks USERS/RATE s on average between
// requests, whatever the answers take), while STREAMS event streams stay open. Latency is
// counted from when a request was due, not when it could be sent (no coordinated omission).
// Reports p50/p99, errors, each instance's RSS and CPU, HAProxy's, and PostgreSQL's connections
// in use. With RATES=1000,2000,… it runs each rate in turn and names the highest whose p99 stays
// under 200 ms with no error. Never part of `pnpm test`.
//
// env: USERS (5000)  STREAMS (5000)  RATE (req/s, 1000)  RATES (a list, instead of RATE)
//      DURATION (s per rate, 30)  WARMUP (s, 5)  TASKS (seeded per user, 5)
//      CLUSTER_INSTANCES (3)  DATABASE_POOL_MAX (per instance, the server's default 10)
//      BENCH_DATABASE_URL (an admin URL; the database todo_bench_users is created and dropped)
// Open files: this process holds USERS + STREAMS sockets, HAProxy twice as many plus the
// instances' side; `ulimit -n` must allow that (HAProxy raises its own limit when run as root
// outside a container). The bench says so and stops when it does not.
import http from 'node:http'
import pg from 'pg'
import { fileLimit, generateSigningKey, redisAnswers, startCluster } from '../cluster/cluster.mjs'
import {
  ADMIN_URL,
  cpuSeconds,
  fmt,
  freshPostgres,
  hostTicks,
  printTable,
  requireBuild,
  rssMb,
  SECRET,
  tokenFor,
} from './lib.mjs'

requireBuild()
const USERS = Number(process.env.USERS ?? 5000)
const STREAMS = Number(process.env.STREAMS ?? 5000)
const RATES = (process.env.RATES ?? process.env.RATE ?? '1000').split(',').map(Number).filter(Boolean)
const DURATION = Number(process.env.DURATION ?? 30)
const WARMUP = Number(process.env.WARMUP ?? 5)
const TASKS = Number(process.env.TASKS ?? 5)
const INSTANCES = Number(process.env.CLUSTER_INSTANCES ?? 3)
const GOAL_P99 = 200

/** `process.cpuUsage()`'s difference as % of one core over `seconds`. */
const cpuPercent = ({ user, system }, seconds) => (user + system) / 1e4 / seconds

const needed = USERS + STREAMS + 200
const limit = fileLimit()
if (limit !== undefined && limit < 2 * needed + 200) {
  console.error(
    `bench:users: ${USERS} users and ${STREAMS} streams need about ${2 * needed + 200} open files for HAProxy ` +
      `(the hard limit here is ${limit}): raise it (ulimit -n 65536, as root) or lower USERS/STREAMS`,
  )
  process.exit(2)
}

const redisUp = await redisAnswers()
const database = await freshPostgres('todo_bench_users', { asyncCommit: true })
if (!database) process.exit(0)
const cluster = await startCluster({
  databaseUrl: database.url,
  instances: INSTANCES,
  env: {
    AUTH_JWT_SECRET: SECRET,
    AUTH_SIGNING_KEY: generateSigningKey(),
    // The limiter stays on (its cost is measured), shared through Redis when there is one.
    RATE_LIMIT_PER_MINUTE: '100000000',
    ...(redisUp && { REDIS_URL: 'redis://127.0.0.1:6379' }),
    ...(process.env.DATABASE_POOL_MAX && { DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX }),
  },
})
const { hostname, port } = new URL(cluster.url)
const streams = []
const agents = []

try {
  console.error(
    `bench:users: ${INSTANCES} instances behind HAProxy at ${cluster.url} (maxconn ${cluster.maxconn}); ` +
      `seeding ${USERS} users x ${TASKS} tasks`,
  )
  const users = []
  for (let i = 0; i < USERS; i++) {
    const id = crypto.randomUUID()
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    agents.push(agent)
    users.push({ id, token: await tokenFor(id, `user${i}@bench.invalid`), agent, tasks: [], created: [], busy: 0 })
  }
  await pool(users, 64, async (user) => {
    for (let j = 0; j < TASKS; j++) {
      const { status, body } = await send(user, 'POST', `/api/${user.id}/tasks`, { title: `Seeded task ${j}` })
      if (status !== 201) throw new Error(`seeding: ${status} ${body}`)
      user.tasks.push(JSON.parse(body).id)
    }
  })

  console.error(`bench:users: opening ${STREAMS} event streams`)
  let events = 0
  let streamErrors = 0
  await pool(
    Array.from({ length: STREAMS }, (_, i) => users[i % USERS]),
    64,
    (user) =>
      new Promise((resolve) => {
        const req = http.get(
          {
            host: hostname,
            port,
            path: `/api/${user.id}/tasks/events`,
            agent: false,
            headers: { authorization: `Bearer ${user.token}`, accept: 'text/event-stream' },
          },
          (res) => {
            if (res.statusCode !== 200) streamErrors++
            else streams.push(req)
            res.on('data', (chunk) => {
              events += chunk.toString().split('\nevent: ').length - 1
            })
            res.on('error', () => {})
            resolve()
          },
        )
        req.on('error', () => {
          streamErrors++
          resolve()
        })
      }),
  )
  console.error(`bench:users: ${streams.length} streams open, ${streamErrors} refused`)

  const rows = []
  for (const rate of RATES) {
    if (WARMUP > 0) {
      console.error(`bench:users: ${rate} req/s, warm-up ${WARMUP} s`)
      await drive(users, rate, WARMUP)
    }
    console.error(`bench:users: ${rate} req/s for ${DURATION} s`)
    const cpu0 = cluster.instances.map((node) => cpuSeconds(node.pid()))
    const haproxyCpu0 = cpuSeconds(cluster.haproxyPid())
    const events0 = events
    const host0 = hostTicks()
    const self0 = process.cpuUsage()
    const pgPeak = watchPgConnections(database.url)
    const r = await drive(users, rate, DURATION)
    const pgUse = await pgPeak()
    const host1 = hostTicks()
    const busy = (100 * (host1.busy - host0.busy)) / (host1.total - host0.total)
    const cpu = cluster.instances.map((node, i) => ((cpuSeconds(node.pid()) - cpu0[i]) / r.seconds) * 100)
    rows.push([
      String(rate),
      fmt(r.sent / r.seconds, 0),
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      fmt(r.max, 0),
      String(r.errors),
      String(r.non2xx),
      cluster.instances.map((node) => fmt(rssMb(node.pid()), 0)).join(' / '),
      cpu.map((c) => fmt(c, 0)).join(' / '),
      `${fmt(rssMb(cluster.haproxyPid()), 0)} MB, ${fmt(((cpuSeconds(cluster.haproxyPid()) - haproxyCpu0) / r.seconds) * 100, 0)}%`,
      `${pgUse.active} / ${pgUse.total}`,
      String(events - events0),
      fmt(cpuPercent(process.cpuUsage(self0), r.seconds), 0),
      fmt(busy, 0),
    ])
    if (r.firstErrors.length > 0) {
      console.error(`bench:users: first errors at ${rate}: ${r.firstErrors.join('; ')}`)
      // HAProxy logs what went wrong (option dontlog-normal): its termination state says who
      // failed, and its health checks say why it took an instance out.
      const logged = cluster.haproxyOutput().trim().split('\n')
      const checks = logged.filter((line) => line.startsWith('Server ') && / is DOWN/.test(line))
      console.error(`bench:users: HAProxy's last log lines:\n${[...checks.slice(-6), ...logged.slice(-4)].join('\n')}`)
    }
  }

  console.log(
    `\nbench:users: ${INSTANCES} instances (server/dist, NODE_ENV=production) behind HAProxy, ` +
      `${USERS} users on keep-alive connections of their own, ${streams.length} event streams open ` +
      `(${streamErrors} refused), mixed scenario (35 list, 35 get, 10 create, 10 delete, 5 toggle, 5 update), ` +
      `open-loop Poisson arrivals, ${WARMUP} s warm-up + ${DURATION} s per rate; Redis ${redisUp ? 'on' : 'off'}`,
  )
  printTable(
    [
      'rate',
      'sent/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'errors',
      'non-2xx',
      'RSS MB per instance',
      'CPU % per instance',
      'HAProxy',
      'pg conns active / open',
      'events',
      'load generator CPU %',
      'machine busy %',
    ],
    rows,
  )
  const passing = rows.filter((row) => Number(row[3]) < GOAL_P99 && row[5] === '0' && row[6] === '0')
  console.log(
    passing.length > 0
      ? `highest rate with p99 < ${GOAL_P99} ms and no error: ${Math.max(...passing.map((row) => Number(row[0])))} req/s`
      : `no rate kept p99 < ${GOAL_P99} ms with no error`,
  )
  console.log('(latency from when each request was due; CPU: % of one core; pg conns: peak in pg_stat_activity)')
} finally {
  for (const req of streams) req.destroy()
  for (const agent of agents) agent.destroy()
  await cluster.stop()
  await database.cleanup()
}

/** One request on the user's own keep-alive connection; resolves to { status, body }. */
function send(user, method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    const req = http.request(
      {
        host: hostname,
        port,
        method,
        path,
        agent: user.agent,
        timeout: 10_000,
        headers: {
          authorization: `Bearer ${user.token}`,
          ...(payload && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
        },
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => (text += chunk))
        res.on('end', () => resolve({ status: res.statusCode, body: text }))
        res.on('error', reject)
      },
    )
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end(payload)
  })
}

/** The shared harness's mix: 35 list, 35 get, 10 create, 10 delete, 5 toggle, 5 update. */
function nextOperation(user, seq) {
  const pick = (items) => items[Math.floor(Math.random() * items.length)]
  const base = `/api/${user.id}/tasks`
  const x = Math.random() * 100
  if (x < 35) return ['GET', base, undefined, 200]
  if (x < 70) return ['GET', `${base}/${pick(user.tasks)}`, undefined, 200]
  if (x < 90 && (x < 80 || user.created.length === 0))
    return ['POST', base, { title: `Bench task ${seq}`, description: 'created by the bench' }, 201, 'create']
  if (x < 90) return ['DELETE', `${base}/${user.created.pop()}`, undefined, 204]
  if (x < 95) return ['PATCH', `${base}/${pick(user.tasks)}/complete`, undefined, 200]
  return ['PUT', `${base}/${pick(user.tasks)}`, { title: `Updated task ${seq}`, completed: Math.random() < 0.5 }, 200]
}

/** Sends Poisson arrivals at `rate` for `seconds`, each to a random user; measures from when it was due. */
async function drive(users, rate, seconds) {
  const latencies = []
  const firstErrors = []
  let errors = 0
  let non2xx = 0
  let sent = 0
  const inFlight = new Set()
  const started = performance.now()
  const end = started + seconds * 1000
  let due = started
  while (due < end) {
    due += -Math.log(1 - Math.random()) * (1000 / rate)
    const wait = due - performance.now()
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait))
    const user = users[Math.floor(Math.random() * users.length)]
    const [method, path, body, expected, kind] = nextOperation(user, sent)
    const at = due
    sent++
    const request = send(user, method, path, body)
      .then(({ status, body: text }) => {
        latencies.push(performance.now() - at)
        if (status !== expected) {
          non2xx++
          if (firstErrors.length < 5) firstErrors.push(`${method} ${status} ${text.slice(0, 120).replace(/\s+/g, ' ')}`)
        } else if (kind === 'create') user.created.push(JSON.parse(text).id)
      })
      .catch((error) => {
        errors++
        if (firstErrors.length < 5) firstErrors.push(`${method} ${error.message}`)
      })
      .finally(() => inFlight.delete(request))
    inFlight.add(request)
  }
  await Promise.all(inFlight)
  latencies.sort((a, b) => a - b)
  const at = (p) =>
    latencies.length ? latencies[Math.min(latencies.length - 1, Math.ceil(p * latencies.length) - 1)] : null
  return {
    sent,
    seconds: (performance.now() - started) / 1000,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies.at(-1) ?? null,
    errors,
    non2xx,
    firstErrors,
  }
}

/** Samples pg_stat_activity of the database every 500 ms; resolves to the peak of active and of open connections. */
function watchPgConnections(url) {
  const name = new URL(url).pathname.slice(1)
  const client = new pg.Client({ connectionString: ADMIN_URL })
  const peak = { active: 0, total: 0 }
  let timer
  const ready = client.connect().then(() => {
    const sample = async () => {
      const { rows } = await client.query(
        `select count(*)::int as total, count(*) filter (where state = 'active')::int as active
           from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`,
        [name],
      )
      peak.active = Math.max(peak.active, rows[0].active)
      peak.total = Math.max(peak.total, rows[0].total)
    }
    timer = setInterval(() => sample().catch(() => {}), 500)
    return sample()
  })
  return async () => {
    await ready
    clearInterval(timer)
    await client.end()
    return peak
  }
}

/** Runs `fn` over `items` with `n` at a time. */
async function pool(items, n, fn) {
  let i = 0
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) await fn(items[i++])
    }),
  )
}
