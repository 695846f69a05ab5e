// Shared pieces of the benchmarks: starting the built server, /proc readings, tokens, tables.
import { execFileSync, spawn } from 'node:child_process'
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SignJWT } from 'jose'
import pg from 'pg'

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
export const serverDir = `${repoRoot}server/`
export const mainJs = `${serverDir}dist/main.js`
export const SECRET = 'bench-only-hs256-secret-0123456789abcdef'

/** The `node` flags of the production start (`start:prod` of server/package.json), so the benches run it as deployed. */
export const nodeFlags = JSON.parse(readFileSync(`${serverDir}package.json`, 'utf8'))
  .scripts['start:prod'].split(/\s+/)
  .filter((word) => word.startsWith('--'))

/** BENCH_NODE_FLAGS: more `node` flags for the servers a bench starts (`--cpu-prof`, say). */
export const benchNodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)

export function requireBuild() {
  if (!existsSync(mainJs)) {
    console.error('bench: server/dist/main.js is missing; run `pnpm build` first (`pnpm bench` does).')
    process.exit(2)
  }
}

/** The PostgreSQL server the benches use: BENCH_DATABASE_URL, an admin URL. */
export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/**
 * Creates database `name` anew on that server and migrates it with the build. Resolves to
 * { url, cleanup() } (cleanup drops it), or null with a line on stderr when the server cannot
 * be reached. `asyncCommit`: as the shared harness does, commits do not wait for the WAL fsync.
 */
export async function freshPostgres(name, { asyncCommit = false } = {}) {
  const admin = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 })
  try {
    await admin.connect()
  } catch (error) {
    console.error(`bench: cannot connect to PostgreSQL with BENCH_DATABASE_URL (${error.message})`)
    return null
  }
  try {
    await admin.query(`drop database if exists ${name} with (force)`)
    await admin.query(`create database ${name}`)
    if (asyncCommit) await admin.query(`alter database ${name} set synchronous_commit = off`)
  } finally {
    await admin.end()
  }
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  execFileSync(process.execPath, ['dist/cli/migrate.js', 'latest'], {
    cwd: serverDir,
    env: { ...process.env, DATABASE_URL: url.href },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  return {
    url: url.href,
    cleanup: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL })
      await c.connect()
      await c.query(`drop database if exists ${name} with (force)`)
      await c.end()
    },
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address()
      srv.close(() => resolve(port))
    })
  })
}

/** Pin the server to the last CPU when there are several and `taskset` exists (BENCH_PIN=0: never). */
function pinPrefix() {
  if (process.env.BENCH_PIN === '0' || cpus().length < 2) return []
  const taskset = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p))
  return taskset ? [taskset, '-c', String(cpus().length - 1)] : []
}

/**
 * Starts `command` (default: the production server) and waits until `GET /health` answers 200.
 * Resolves to { pid, url, startMs, output(), stop() }.
 */
/** The command that starts a built server as `start:prod` does (pinned to the last CPU unless `pin` is false). */
export function serverCommand(main, { pin = true } = {}) {
  return [...(pin ? pinPrefix() : []), process.execPath, ...nodeFlags, ...benchNodeFlags, main]
}

export async function startServer(env, { command, cwd = serverDir, timeoutMs = 120_000, pin = true } = {}) {
  const port = await freePort()
  const argv = command ?? serverCommand(mainJs, { pin })
  const logDir = mkdtempSync(join(tmpdir(), 'todo-bench-log-'))
  const logPath = join(logDir, 'server.log')
  const logFile = openSync(logPath, 'w')
  const started = performance.now()
  const child = spawn(argv[0], argv.slice(1), {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      ...(process.env.BENCH_NODE_OPTIONS && { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS }),
      ...env,
    },
    // Into a file, as a deployment's log collector takes it: a pipe to this process, busy
    // generating the load, would fill and make the server wait to write its request log.
    stdio: ['ignore', logFile, logFile],
    detached: true,
  })
  closeSync(logFile)
  const out = () => readFileSync(logPath, 'utf8')
  const exited = new Promise((resolve) => child.once('exit', resolve))
  const url = `http://127.0.0.1:${port}`
  const stop = async () => {
    if (child.exitCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM')
      } catch {}
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL')
        } catch {}
      }, 10_000)
      await exited
      clearTimeout(timer)
    }
    rmSync(logDir, { recursive: true, force: true })
  }
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${out()}`)
    if (performance.now() - started > timeoutMs) {
      await stop()
      throw new Error(`server not healthy within ${timeoutMs} ms:\n${out()}`)
    }
    try {
      const res = await fetch(`${url}/health`)
      if (res.status === 200) break
    } catch {}
    await new Promise((r) => setTimeout(r, 20))
  }
  return { pid: child.pid, url, startMs: performance.now() - started, output: out, stop }
}

function procStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) }
  } catch {
    return null
  }
}

/** The pid and every descendant (Linux /proc; just the pid elsewhere). */
export function processTree(pid) {
  if (!existsSync('/proc')) return [pid]
  const children = new Map()
  for (const d of readdirSafe('/proc')) {
    if (!/^\d+$/.test(d)) continue
    const st = procStat(d)
    if (!st) continue
    if (!children.has(st.ppid)) children.set(st.ppid, [])
    children.get(st.ppid).push(Number(d))
  }
  const all = []
  const stack = [pid]
  while (stack.length) {
    const p = stack.pop()
    all.push(p)
    stack.push(...(children.get(p) ?? []))
  }
  return all
}

function readdirSafe(dir) {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}

/** Resident set size in MB of the process tree (VmRSS summed), or null without /proc. */
export function rssMb(pid) {
  let kb = 0
  let seen = false
  for (const p of processTree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))
      if (m) {
        kb += Number(m[1])
        seen = true
      }
    } catch {}
  }
  return seen ? kb / 1024 : null
}

/** The whole machine's CPU time so far, busy and in all, in clock ticks (`/proc/stat`). */
export function hostTicks() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/)
  const ticks = fields.map(Number)
  const total = ticks.reduce((a, b) => a + b, 0)
  // idle and iowait
  return { busy: total - ticks[3] - ticks[4], total }
}

/** CPU seconds used so far by the process tree, or null without /proc. */
export function cpuSeconds(pid) {
  let ticks = 0
  let seen = false
  for (const p of processTree(pid)) {
    const st = procStat(p)
    if (st) {
      ticks += st.ticks
      seen = true
    }
  }
  return seen ? ticks / 100 : null
}

/** Samples the tree's RSS every 100 ms until stopped; resolves to the peak in MB. */
export function watchPeakRss(pid) {
  let peak = rssMb(pid)
  const timer = setInterval(() => {
    const now = rssMb(pid)
    if (now !== null && (peak === null || now > peak)) peak = now
  }, 100)
  return () => {
    clearInterval(timer)
    const now = rssMb(pid)
    if (now !== null && (peak === null || now > peak)) peak = now
    return peak
  }
}

export async function tokenFor(sub, email) {
  return new SignJWT({ email })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1d')
    .sign(new TextEncoder().encode(SECRET))
}

/** Prints rows (arrays of strings) as a Markdown table; numbers right-aligned. */
export function printTable(header, rows) {
  const all = [header, ...rows]
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)))
  const right = header.map((_, i) => rows.every((r) => /^[-\d.,]+$|^-$/.test(String(r[i]))))
  const line = (r) =>
    `| ${r.map((c, i) => (right[i] ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join(' | ')} |`
  console.log(line(header))
  console.log(`|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`)
  for (const r of rows) console.log(line(r))
}

export const fmt = (x, digits = 1) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(digits))
