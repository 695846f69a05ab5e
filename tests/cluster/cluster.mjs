// Several instances of the server on one PostgreSQL database, behind a real HAProxy running
// ./haproxy.cfg (its bind address, stats socket and server lines replaced, nothing else).
// Used by `pnpm cluster` (run.mjs), the cluster test and `pnpm bench:users`.
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { benchNodeFlags, freePort, nodeFlags } from '../bench/lib.mjs'

const serverDir = fileURLToPath(new URL('../../server/', import.meta.url))
export const exampleConfig = fileURLToPath(new URL('./haproxy.cfg', import.meta.url))

/** Where `haproxy` is (PATH, then Debian's /usr/sbin), or undefined. */
export function findHaproxy() {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin']
  return dirs.map((dir) => join(dir, 'haproxy')).find((path) => path.startsWith('/') && existsSync(path))
}

/**
 * How an instance is run: `built` is `start:prod` (server/dist, the V8 flags of
 * server/package.json, and BENCH_NODE_FLAGS), `source` is `src/main.ts` through tsx (the tests: always this
 * checkout's code, no build to race with).
 */
function commandOf(mode, script) {
  if (mode === 'source') return [process.execPath, '--import', 'tsx', `src/${script}.ts`]
  return [process.execPath, ...(script === 'main' ? [...nodeFlags, ...benchNodeFlags] : []), `dist/${script}.js`]
}

/** A new private key for AUTH_SIGNING_KEY, from the server's own keygen CLI. */
export function generateSigningKey(mode = 'built') {
  const [node, ...args] = commandOf(mode, 'cli/keygen')
  return execFileSync(node, args, { cwd: serverDir, encoding: 'utf8' }).trim()
}

/** Migrates `databaseUrl` to the latest version with the server's migrate CLI. */
export function migrate(databaseUrl, mode = 'built') {
  const [node, ...args] = commandOf(mode, 'cli/migrate')
  execFileSync(node, [...args, 'latest'], {
    cwd: serverDir,
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** The last `max` characters a process printed. */
function capture(child, max = 256 * 1024) {
  let text = ''
  const add = (chunk) => {
    text += chunk
    if (text.length > max) text = text.slice(-max)
  }
  child.stdout?.on('data', add)
  child.stderr?.on('data', add)
  return () => text
}

/** One instance: its port stays the same across restarts, as the balancer's server line says. */
function instance(name, port, mode, env) {
  let child
  let exited
  let output = () => ''
  const url = `http://127.0.0.1:${port}`
  const self = {
    name,
    port,
    url,
    pid: () => child?.pid,
    output: () => output(),
    running: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    /** Starts the process and waits until its own /readyz answers 200. */
    async start(timeoutMs = 60_000) {
      const [node, ...args] = commandOf(mode, 'main')
      child = spawn(node, args, {
        cwd: serverDir,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          NODE_ENV: 'production',
          LOG_LEVEL: 'warn',
          ...env,
          HOST: '127.0.0.1',
          PORT: String(port),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      output = capture(child)
      exited = once(child, 'exit').then(([code, signal]) => code ?? signal)
      const deadline = Date.now() + timeoutMs
      for (;;) {
        if (!self.running()) throw new Error(`${name} exited with ${await exited}:\n${output()}`)
        try {
          if ((await fetch(`${url}/readyz`)).status === 200) return
        } catch {}
        if (Date.now() > deadline) {
          child.kill('SIGKILL')
          throw new Error(`${name} not ready within ${timeoutMs} ms:\n${output()}`)
        }
        await sleep(50)
      }
    },
    /** SIGTERM (the drain), then the exit code; SIGKILL past `graceMs`. */
    async stop(graceMs = 15_000) {
      if (!self.running()) return exited
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const code = await exited
      clearTimeout(timer)
      return code
    },
    /** SIGKILL: a crash, no drain. */
    async kill() {
      if (!self.running()) return exited
      child.kill('SIGKILL')
      return exited
    },
  }
  return self
}

/** Whether a Redis answers PING at `url` (`redis://host:port`). */
export function redisAnswers(url = 'redis://127.0.0.1:6379') {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect(Number(port || 6379), hostname)
    const done = (ok) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}

/** The hard limit of open files of processes started from here (`ulimit -Hn`), or undefined. */
export function fileLimit() {
  try {
    const limit = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim()
    return limit === 'unlimited' ? Number.POSITIVE_INFINITY : Number(limit)
  } catch {
    return undefined
  }
}

/**
 * The `maxconn` of ./haproxy.cfg, or less when the open-file limit cannot hold it: HAProxy
 * needs two descriptors per connection (client and server side) and refuses to start when it
 * cannot raise its limit that far (it may as root with CAP_SYS_RESOURCE, not in a container).
 */
export function fittingMaxconn(wanted = Number(/^\s+maxconn\s+(\d+)/m.exec(readFileSync(exampleConfig, 'utf8'))[1])) {
  const limit = fileLimit()
  if (limit === undefined || 2 * wanted + 200 <= limit) return wanted
  return Math.floor((limit - 200) / 2)
}

/** `haproxy.cfg` with this cluster's bind address, stats socket, servers and connection cap. */
export function clusterConfig({ port, socket, servers, maxconn = fittingMaxconn() }) {
  const text = readFileSync(exampleConfig, 'utf8')
  const lines = text.split('\n')
  const first = lines.findIndex((line) => /^\s+server\s/.test(line))
  const indent = /^\s+/.exec(lines[first])[0]
  const serverLines = servers.map(({ name, port: p }) => `${indent}server ${name} 127.0.0.1:${p}`)
  const out = lines
    .filter((line, i) => i === first || !/^\s+server\s/.test(line))
    .flatMap((line) => (/^\s+server\s/.test(line) ? serverLines : [line]))
    .map((line) => line.replace(/^(\s+bind\s+)\S+/, `$1127.0.0.1:${port}`))
    .map((line) => line.replace(/^(\s+stats socket\s+)\S+/, `$1${socket}`))
    .map((line) => line.replace(/^(\s+maxconn\s+)\d+/, `$1${maxconn}`))
  return out.join('\n')
}

/** Sends one runtime-API command to HAProxy's stats socket; resolves to the answer. */
export function haproxyCommand(socket, command) {
  return new Promise((resolve, reject) => {
    const client = connect(socket)
    let answer = ''
    client.on('data', (chunk) => (answer += chunk))
    client.once('error', reject)
    client.once('end', () => resolve(answer))
    client.once('connect', () => client.write(`${command}\n`))
  })
}

/** `show stat` as rows of objects (HAProxy's CSV header names: pxname, svname, status, …). */
export async function haproxyStats(socket) {
  const [header, ...rows] = (await haproxyCommand(socket, 'show stat')).trim().split('\n')
  const names = header.replace(/^# /, '').split(',')
  return rows.map((row) => Object.fromEntries(row.split(',').map((value, i) => [names[i], value])))
}

/**
 * Starts `instances` servers on `databaseUrl` (migrated already) and HAProxy in front.
 * `mode`: `built` (default) or `source`. `env` goes to every instance (AUTH_SIGNING_KEY,
 * AUTH_JWT_SECRET, REDIS_URL, RATE_LIMIT_PER_MINUTE…; TRUST_PROXY is `loopback`).
 */
export async function startCluster({
  databaseUrl,
  instances = 3,
  env = {},
  mode = 'built',
  port = 0,
  maxconn = fittingMaxconn(),
} = {}) {
  const binary = findHaproxy()
  if (!binary) throw new Error('haproxy is not installed (Debian package haproxy)')
  const workDir = mkdtempSync(join(tmpdir(), 'todo-cluster-'))
  const socket = join(workDir, 'admin.sock')
  const balancerPort = port || (await freePort())
  const shared = { TRUST_PROXY: 'loopback', ...env, DATABASE_URL: databaseUrl }
  const nodes = []
  for (let i = 1; i <= instances; i++) nodes.push(instance(`api${i}`, await freePort(), mode, shared))
  let haproxy
  let haproxyOutput = () => ''
  const cluster = {
    url: `http://127.0.0.1:${balancerPort}`,
    port: balancerPort,
    instances: nodes,
    configPath: join(workDir, 'haproxy.cfg'),
    /** HAProxy's connection cap (./haproxy.cfg's, or what the open-file limit allows). */
    maxconn,
    socket,
    haproxyPid: () => haproxy?.pid,
    haproxyOutput: () => haproxyOutput(),
    /** Each server's state as HAProxy sees it: `UP`, `DOWN`, `UP 1/2` (rising), `NOLB`, `MAINT`… */
    async serverStates() {
      const rows = await haproxyStats(socket)
      return Object.fromEntries(
        rows.filter((r) => r.pxname === 'todo' && r.svname.startsWith('api')).map((r) => [r.svname, r.status]),
      )
    },
    /** Waits until HAProxy reports `name` in `state` (`UP` or `DOWN`). */
    async waitForState(name, state, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        // Until HAProxy has opened its socket, no state.
        const states = await cluster.serverStates().catch(() => ({}))
        if (states[name] === state) return
        if (haproxy.exitCode !== null) throw new Error(`haproxy exited with ${haproxy.exitCode}`)
        if (Date.now() > deadline) throw new Error(`${name} not ${state} within ${timeoutMs} ms: ${states[name]}`)
        await sleep(100)
      }
    },
    async stop() {
      if (haproxy && haproxy.exitCode === null && haproxy.signalCode === null) {
        const exited = once(haproxy, 'exit')
        haproxy.kill('SIGTERM')
        await exited
      }
      await Promise.all(nodes.map((node) => node.stop()))
      rmSync(workDir, { recursive: true, force: true })
    },
  }
  try {
    await Promise.all(nodes.map((node) => node.start()))
    writeFileSync(cluster.configPath, clusterConfig({ port: balancerPort, socket, servers: nodes, maxconn }))
    haproxy = spawn(binary, ['-db', '-f', cluster.configPath], { stdio: ['ignore', 'pipe', 'pipe'] })
    haproxyOutput = capture(haproxy)
    for (const node of nodes) await cluster.waitForState(node.name, 'UP')
  } catch (error) {
    const printed = haproxyOutput()
    await cluster.stop()
    if (printed) error.message += `\nhaproxy:\n${printed}`
    throw error
  }
  return cluster
}
