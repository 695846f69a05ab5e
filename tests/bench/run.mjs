// `pnpm bench`: the built server (server/dist, NODE_ENV=production) under load, at both doors,
// on PostgreSQL and on the embedded PGlite. Prints req/s, latency, errors, server CPU per
// request and the server's peak RSS per scenario. Never part of `pnpm test`.
//
// env: BENCH_DATABASE_URL  an admin URL of a PostgreSQL server (default
//                          postgres://postgres@127.0.0.1:5432/postgres); the bench creates and
//                          drops the database todo_bench there. Unreachable: the pg part is skipped.
//      DATABASES (pg,pglite)  DOORS (rest,trpc)  SCENARIOS (list,get,create,toggle,mixed)
//      DURATION (s, 10)  WARMUP (s, 2)  CONNECTIONS (32)  USERS (100)  TASKS (50 per user)
//      BENCH_NODE_FLAGS  more flags for node, on its command line (`--cpu-prof`:
//                        a CPU profile of each server, written when it stops)
//      BENCH_PIN=0  do not pin the server to the last CPU with taskset
//      VARIANTS  servers to compare in one run, `;`-separated `name:KEY=VALUE,KEY=VALUE` (e.g.
//                `base:;metrics:METRICS=true` or `doorbell:;quiet:EVENTS=false`); each is started
//                in turn on the same database and runs every door and scenario. BENCH_SERVER_DIR=
//                in a variant runs the build of another checkout's server/ folder (a git
//                worktree without a patch, say; same migrations), to compare two builds in one run
//      Scenario `changes` (not in the default set): half the requests write (create, toggle),
//      half poll the change feed of a user with that user's last cursor.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import autocannon from 'autocannon'
import {
  cpuSeconds,
  fmt,
  freshPostgres,
  printTable,
  requireBuild,
  SECRET,
  serverCommand,
  startServer,
  tokenFor,
  watchPeakRss,
} from './lib.mjs'
import * as restRoutes from './routes-rest.mjs'
import * as trpcRoutes from './routes-trpc.mjs'

const list = (name, fallback) =>
  (process.env[name] ?? fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
const DATABASES = list('DATABASES', 'pg,pglite')
const DOORS = list('DOORS', 'rest,trpc')
const SCENARIOS = list('SCENARIOS', 'list,get,create,toggle,mixed')
const DURATION = Number(process.env.DURATION ?? 10)
const WARMUP = Number(process.env.WARMUP ?? 2)
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32)
const USERS = Number(process.env.USERS ?? 100)
const TASKS = Number(process.env.TASKS ?? 50)
const ROUTES = { rest: restRoutes, trpc: trpcRoutes }
const VARIANTS = (process.env.VARIANTS ?? 'default:')
  .split(';')
  .filter(Boolean)
  .map((variant) => {
    const [name, settings = ''] = variant.split(':')
    return {
      name,
      env: Object.fromEntries(
        settings
          .split(',')
          .filter(Boolean)
          .map((pair) => pair.split('=')),
      ),
    }
  })

requireBuild()

// Same sequence for every run: a seeded PRNG (mulberry32).
function prng(seed) {
  let a = seed
  return () => {
    a |= 0
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function preparePglite() {
  const dir = mkdtempSync(join(tmpdir(), 'todo-bench-'))
  return { url: `file:${dir}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) }
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

async function call(base, user, op) {
  const headers = { authorization: `Bearer ${user.token}` }
  if (op.body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(base + op.path, {
    method: op.method,
    headers,
    body: op.body === undefined ? undefined : JSON.stringify(op.body),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${op.method} ${op.path}: ${res.status} ${text}`)
  return text
}

/** Users (provisioned by their first call) and their tasks, made through the REST door. */
async function seed(base) {
  const users = []
  for (let i = 0; i < USERS; i++) {
    const id = crypto.randomUUID()
    users.push({ id, token: await tokenFor(id, `user${i}@bench.invalid`), tasks: [] })
  }
  const jobs = users.flatMap((u) => Array.from({ length: TASKS }, (_, j) => [u, j]))
  await pool(jobs, 16, async ([u, j]) => {
    const body = { title: `Seeded task ${j}`, description: j % 2 ? null : `Description of seeded task ${j}` }
    u.tasks.push(JSON.parse(await call(base, u, restRoutes.create(u, body))).id)
  })
  return users
}

function generators(R, users, rand, created, cursors) {
  const pick = (a) => a[Math.floor(rand() * a.length)]
  let seq = 0
  const newTask = () => ({ title: `Bench task ${++seq}`, description: 'created by the bench' })
  const create = (u) => [u, R.create(u, newTask()), 'create']
  return {
    list: () => {
      const u = pick(users)
      return [u, R.list(u)]
    },
    get: () => {
      const u = pick(users)
      return [u, R.get(u, pick(u.tasks))]
    },
    create: () => create(pick(users)),
    toggle: () => {
      const u = pick(users)
      return [u, R.toggle(u, pick(u.tasks))]
    },
    // A client polling the change feed with its last cursor while others write.
    changes: () => {
      const u = pick(users)
      if (rand() < 0.5) return [u, R.changes(u, cursors.get(u)), 'changes']
      if (rand() < 0.5) return create(u)
      return [u, R.toggle(u, pick(u.tasks))]
    },
    // The shared harness's mix: 35 list, 35 get, 10 create, 10 delete, 5 toggle, 5 update.
    mixed: () => {
      const u = pick(users)
      const x = rand() * 100
      if (x < 35) return [u, R.list(u)]
      if (x < 70) return [u, R.get(u, pick(u.tasks))]
      if (x < 80) return create(u)
      if (x < 90) {
        const mine = created.get(u)
        if (mine?.length) return [u, R.remove(u, mine.pop())]
        return create(u)
      }
      if (x < 95) return [u, R.toggle(u, pick(u.tasks))]
      return [u, R.update(u, pick(u.tasks), { title: `Updated task ${++seq}`, completed: rand() < 0.5 })]
    },
  }
}

function fire(base, R, gen, seconds, created, cursors, latencies) {
  return new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: base,
        connections: CONNECTIONS,
        duration: seconds,
        timeout: 10,
        requests: [
          {
            setupRequest: (req, context) => {
              const [u, op, kind] = gen()
              context.user = u
              context.kind = kind
              req.method = op.method
              req.path = op.path
              req.headers = { authorization: `Bearer ${u.token}` }
              if (op.body === undefined) req.body = undefined
              else {
                req.body = JSON.stringify(op.body)
                req.headers['content-type'] = 'application/json'
              }
              return req
            },
            onResponse: (status, body, context) => {
              if (context.kind === 'changes') {
                const cursor = R.parseCursor(status, body)
                if (cursor) cursors.set(context.user, cursor)
              }
              if (context.kind !== 'create') return
              const id = R.parseCreated(status, body)
              if (!id) return
              if (!created.has(context.user)) created.set(context.user, [])
              created.get(context.user).push(id)
            },
          },
        ],
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    )
    if (latencies) {
      inst.on('response', (_client, status, _bytes, ms) => {
        if (status >= 200 && status < 300) latencies.push(ms)
      })
    }
  })
}

const percentile = (sorted, p) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : null

async function scenario(server, door, name, users) {
  const R = ROUTES[door]
  const created = new Map()
  const cursors = new Map()
  const gen = generators(R, users, prng(42), created, cursors)[name]
  if (WARMUP > 0) await fire(server.url, R, gen, WARMUP, created, cursors, null)
  const latencies = []
  const cpu0 = cpuSeconds(server.pid)
  const peak = watchPeakRss(server.pid)
  const result = await fire(server.url, R, gen, DURATION, created, cursors, latencies)
  const peakRss = peak()
  const cpu1 = cpuSeconds(server.pid)
  // Put the users' lists back to their seeded size for the next scenario.
  const leftovers = [...created].flatMap(([u, ids]) => ids.map((id) => [u, id]))
  await pool(leftovers, 16, ([u, id]) => call(server.url, u, restRoutes.remove(u, id)).catch(() => {}))
  latencies.sort((a, b) => a - b)
  const ok = result['2xx']
  const rps = ok / result.duration
  return {
    rps,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    peakRss,
    srvMs: cpu0 === null || !ok ? null : ((cpu1 - cpu0) * 1000) / ok,
  }
}

const rows = []
const notes = []
for (const database of DATABASES) {
  const prepared =
    database === 'pg'
      ? await freshPostgres('todo_bench', { asyncCommit: true })
      : database === 'pglite'
        ? preparePglite()
        : null
  if (!prepared) {
    if (database !== 'pg') console.error(`bench: unknown database ${database} (pg or pglite)`)
    notes.push(`${database}: skipped`)
    continue
  }
  let users
  try {
    // Every variant in turn, the order reversed every other round (ROUNDS, default 1).
    const rounds = Number(process.env.ROUNDS ?? 1)
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? [...VARIANTS].reverse() : VARIANTS
      for (const variant of order) {
        const { BENCH_SERVER_DIR: otherServer, ...variantEnv } = variant.env
        const server = await startServer(
          {
            DATABASE_URL: prepared.url,
            AUTH_JWT_SECRET: SECRET,
            // The limiter stays on (its cost is measured) but never refuses the load.
            RATE_LIMIT_PER_MINUTE: '100000000',
            ...variantEnv,
          },
          otherServer ? { cwd: otherServer, command: serverCommand(`${otherServer}/dist/main.js`) } : {},
        )
        try {
          console.error(`bench: ${database} ${variant.name} server healthy after ${Math.round(server.startMs)} ms`)
          if (!users) {
            console.error(`bench: seeding ${USERS} x ${TASKS}`)
            users = await seed(server.url)
          }
          for (const door of DOORS) {
            for (const name of SCENARIOS) {
              console.error(
                `bench: ${database} ${variant.name} ${door} ${name}: warm-up ${WARMUP} s, measure ${DURATION} s @ ${CONNECTIONS}`,
              )
              const r = await scenario(server, door, name, users)
              rows.push([
                database,
                variant.name,
                door,
                name,
                fmt(r.rps, 0),
                fmt(r.p50, 1),
                fmt(r.p99, 1),
                String(r.errors),
                String(r.non2xx),
                fmt(r.srvMs, 3),
                fmt(r.peakRss, 0),
              ])
            }
          }
        } finally {
          await server.stop()
        }
      }
    }
  } finally {
    await prepared.cleanup()
  }
}

console.log(
  `\nserver: node server/dist/main.js, NODE_ENV=production, LOG_LEVEL=warn, RATE_LIMIT_PER_MINUTE=100000000; ` +
    `${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s per scenario, ${USERS} users x ${TASKS} tasks`,
)
printTable(
  [
    'database',
    'variant',
    'door',
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'non-2xx',
    'srv CPU ms/req',
    'peak RSS MB',
  ],
  rows,
)
for (const note of notes) console.log(note)
