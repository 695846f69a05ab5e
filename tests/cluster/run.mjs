// `pnpm cluster`: N instances of the built server (server/dist, as `start:prod` runs it) on one
// PostgreSQL database, HAProxy in front (./haproxy.cfg), one URL to use. Ctrl-C stops it all.
//
// env: DATABASE_URL        a PostgreSQL database (default: todo_cluster on 127.0.0.1:5432,
//                          created if missing); migrated to the latest version first
//      CLUSTER_INSTANCES   how many instances (3)
//      CLUSTER_PORT        the balancer's port (8080)
//      REDIS_URL           shared rate limits (default redis://127.0.0.1:6379 when it answers)
//      AUTH_SIGNING_KEY    the built-in issuer's key, shared by every instance (generated
//                          once for this run when unset)
//      AUTH_JWT_SECRET     HS256 secret for `pnpm -s dev-token` (random for this run when unset)
//      any other variable of the server's (LOG_LEVEL, RATE_LIMIT_PER_MINUTE…) goes to every instance
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import pg from 'pg'
import { findHaproxy, generateSigningKey, migrate, redisAnswers, startCluster } from './cluster.mjs'

const mainJs = new URL('../../server/dist/main.js', import.meta.url)
if (!existsSync(mainJs)) {
  console.error('cluster: server/dist/main.js is missing; run `pnpm build` first (`pnpm cluster` does).')
  process.exit(2)
}
if (!findHaproxy()) {
  console.error('cluster: haproxy is not installed (Debian: apt-get install haproxy)')
  process.exit(2)
}

const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/todo_cluster'
if (!databaseUrl.startsWith('postgres')) {
  console.error('cluster: DATABASE_URL must be a PostgreSQL URL (instances share one database)')
  process.exit(2)
}
await createIfMissing(databaseUrl)
migrate(databaseUrl)

const redisUrl = process.env.REDIS_URL ?? ((await redisAnswers()) ? 'redis://127.0.0.1:6379' : undefined)
const jwtSecret = process.env.AUTH_JWT_SECRET ?? randomBytes(32).toString('hex')
// Every variable of the server's that is set here goes to each instance as well.
const passed = Object.fromEntries(
  Object.entries(process.env).filter(
    ([name]) =>
      /^(AUTH|RATE|EVENTS|CORS|LOG|SYNC|DATABASE|METRICS|TRUST)_|^LOG_LEVEL$|^EVENTS$|^METRICS$/.test(name) &&
      name !== 'METRICS_PORT',
  ),
)
const instances = Number(process.env.CLUSTER_INSTANCES ?? 3)
console.error(`cluster: starting ${instances} instances on ${new URL(databaseUrl).pathname.slice(1)}…`)
const cluster = await startCluster({
  databaseUrl,
  instances,
  port: Number(process.env.CLUSTER_PORT ?? 8080),
  env: {
    ...passed,
    AUTH_SIGNING_KEY: process.env.AUTH_SIGNING_KEY ?? generateSigningKey(),
    AUTH_JWT_SECRET: jwtSecret,
    ...(redisUrl && { REDIS_URL: redisUrl }),
  },
})

for (const node of cluster.instances) console.log(`  ${node.name}  ${node.url}  pid ${node.pid()}`)
console.log(`  haproxy  ${cluster.configPath}  (runtime API: ${cluster.socket})`)
console.log(`  rate limits: ${redisUrl ? `shared through ${redisUrl}` : 'per instance (no Redis)'}`)
if (!process.env.AUTH_JWT_SECRET) console.log(`  dev tokens: AUTH_JWT_SECRET=${jwtSecret} pnpm -s dev-token <user>`)
console.log(`\nTodo API (${instances} instances behind HAProxy): ${cluster.url}\n`)
console.log('Ctrl-C stops everything.')

let stopping = false
const stop = async (signal) => {
  if (stopping) return
  stopping = true
  console.error(`cluster: ${signal}, stopping`)
  await cluster.stop()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)

// An instance or HAProxy that dies on its own is reported (the balancer takes it out).
const reported = new Set()
setInterval(() => {
  for (const node of cluster.instances) {
    if (node.running() || stopping || reported.has(node)) continue
    reported.add(node)
    console.error(`cluster: ${node.name} exited:\n${node.output().slice(-2000)}`)
  }
}, 1000)

async function createIfMissing(url) {
  const name = decodeURIComponent(new URL(url).pathname.slice(1))
  const admin = new URL(url)
  admin.pathname = '/postgres'
  const client = new pg.Client({ connectionString: admin.href, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
  } catch (error) {
    console.error(`cluster: cannot connect to PostgreSQL (${error.message})`)
    process.exit(2)
  }
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name])
    if (rowCount === 0) await client.query(`create database "${name.replaceAll('"', '""')}"`)
  } finally {
    await client.end()
  }
}
