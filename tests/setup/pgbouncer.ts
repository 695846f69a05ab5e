import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const BINARY = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((path) => existsSync(path))

/**
 * Whether PgBouncer (Debian's `pgbouncer`) is here; prints one line when the tests that need it
 * are skipped. In CI (`CI=true`) its absence is a failure: `.ci/run` installs it.
 */
export function pgbouncerAvailable(what: string): boolean {
  if (BINARY) return true
  if (process.env.CI === 'true')
    throw new Error(`${what} needs PgBouncer (Debian package pgbouncer), and CI must install it`)
  console.info(`skipped: ${what} needs PgBouncer (Debian package pgbouncer)`)
  return false
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * A PgBouncer in transaction mode in front of the PostgreSQL server of `serverUrl` (trust
 * authentication, as the test server has), with two server connections per database so that a
 * client's statements land on other connections. `urlOf(database)` is a URL through it.
 */
export async function startPgBouncer(serverUrl: string) {
  const server = new URL(serverUrl)
  const dir = mkdtempSync(join(tmpdir(), 'todo-pgbouncer-'))
  const port = await freePort()
  const user = decodeURIComponent(server.username || 'postgres')
  writeFileSync(join(dir, 'users.txt'), `"${user}" ""\n`)
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${join(dir, 'users.txt')}`,
      'pool_mode = transaction',
      'default_pool_size = 2',
      'max_client_conn = 200',
      'ignore_startup_parameters = extra_float_digits,options',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  )
  // PgBouncer refuses to run as root; as root, it is told to become `nobody`.
  const asRoot = process.getuid?.() === 0
  if (asRoot) chmodSync(dir, 0o777)
  const child: ChildProcess = spawn(BINARY!, [...(asRoot ? ['-u', 'nobody'] : []), join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let errors = ''
  child.stderr!.on('data', (chunk) => (errors += chunk))
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`pgbouncer exited with ${child.exitCode}: ${errors}`)
    if (await accepts(port)) break
    if (i > 100) throw new Error(`pgbouncer did not listen: ${errors}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    urlOf(database: string): string {
      const url = new URL(serverUrl)
      url.host = `127.0.0.1:${port}`
      url.pathname = `/${database}`
      return url.href
    },
    async stop() {
      child.kill('SIGTERM')
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve))
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
