import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { cp, lstat, mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { isAbsolute, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newUser, TEST_SECRET } from '../setup/auth.js'
import { request, restClient } from '../setup/http.js'
import { freshDatabase, postgresServerUrl } from '../setup/postgres.js'
import { trpcClient } from '../setup/trpc.js'

/**
 * The deployable artifact (issue 13): `pnpm -F @todo/server deploy:server <dir>` builds the
 * server and `pnpm deploy`s it with its production dependencies. The folder is then copied to
 * another place (the original removed) and must run from there with plain `node`: migrations
 * of a new database, then the server with the V8 flags of `start:prod`, answering at both
 * doors, and draining on SIGTERM. The Dockerfile and compose.yaml run the same commands.
 */

const workspaceDir = fileURLToPath(new URL('../../', import.meta.url))
const serverScripts = JSON.parse(await readFile(join(workspaceDir, 'server/package.json'), 'utf8')).scripts
/** `NODE_ENV=production exec node <V8 flags> dist/main.js`: server/package.json's own production start. */
const V8_FLAGS = /^NODE_ENV=production (?:exec )?node ((?:--\S+ )*)dist\/main\.js$/
  .exec(serverScripts['start:prod'])![1]!
  .trim()
  .split(' ')
const MIGRATE = ['node', ...serverScripts['db:migrate:prod'].split(' ').slice(1)]
const dockerfile = await readFile(join(workspaceDir, 'Dockerfile'), 'utf8')
/** The image's HEALTHCHECK command (`node -e …`), run here as Docker would. */
const HEALTHCHECK: string[] = JSON.parse(/^HEALTHCHECK [^\n]*\\\n\s+CMD (\[.*\])$/m.exec(dockerfile)?.[1] ?? '[]').map(
  (arg: string) => (arg === 'node' ? process.execPath : arg),
)
/** Packages of the workspace's development tooling: none may be in the artifact. */
const DEV_TOOLS = ['typescript', 'esbuild', 'tsx', 'vitest', '@biomejs/biome', '@types/node', 'playwright-core']
const MiB = 2 ** 20

interface Run {
  code: number | null
  output: string
}

/** Runs a command to its end; never rejects, so a failure can be asserted on with its output. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(command, args, { cwd, env, maxBuffer: 64 * MiB, timeout: 3 * 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
      resolveRun({ code, output: `${stdout}${stderr}` })
    })
  })
}

/** Every path under `dir`, symlinks not followed. */
async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    yield path
    if (entry.isDirectory()) yield* walk(path)
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  )

if (!postgresServerUrl) console.info('skipped: the deployed artifact is tested on PostgreSQL (TEST_DATABASE_URL)')

describe.skipIf(!postgresServerUrl)('the deployed server, copied elsewhere and run with plain node', () => {
  const dirs: string[] = []
  let deployDir: string
  let appDir: string
  let deploy: Run & { ms: number }
  let database: Awaited<ReturnType<typeof freshDatabase>>
  let child: ChildProcess | undefined
  /** Only what the server needs: nothing of the workspace, pnpm or the test runner's environment. */
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    const built = await mkdtemp(join(tmpdir(), 'todo-deploy-'))
    const copied = await mkdtemp(join(tmpdir(), 'todo-deployed-'))
    dirs.push(built, copied)
    deployDir = join(built, 'server')
    appDir = join(copied, 'app')
    // The one command, as the Dockerfile runs it (pnpm itself when the suite runs under pnpm).
    const pnpm = process.env.npm_execpath?.match(/pnpm\.c?js$/)
      ? [process.execPath, process.env.npm_execpath]
      : ['pnpm']
    const started = Date.now()
    const command = [...pnpm.slice(1), '-F', '@todo/server', 'deploy:server', deployDir]
    const result = await run(pnpm[0]!, command, workspaceDir, process.env)
    deploy = { ...result, ms: Date.now() - started }
    if (deploy.code !== 0) throw new Error(`deploy:server failed (${deploy.code}):\n${deploy.output}`)
    // Symlinks copied as they are (relative ones stay relative), then the original removed.
    await cp(deployDir, appDir, { recursive: true, verbatimSymlinks: true })
    await rm(built, { recursive: true, force: true })
    database = await freshDatabase(postgresServerUrl!, { migrated: false })
    env = { PATH: process.env.PATH ?? '', NODE_ENV: 'production', DATABASE_URL: database.url }
  }, 3 * 60_000)

  afterAll(async () => {
    child?.kill('SIGKILL')
    await database?.drop()
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('holds dist/ and the production dependencies only, patched, with no link out of the folder', async () => {
    expect((await readdir(appDir)).sort()).toEqual(['dist', 'node_modules', 'package.json'])
    let bytes = 0
    let links = 0
    const workspaceMentions: string[] = []
    for await (const path of walk(appDir)) {
      const info = await lstat(path)
      if (info.isSymbolicLink()) {
        links++
        const target = await readlink(path)
        expect(isAbsolute(target), `${path} -> ${target}`).toBe(false)
        expect(relative(appDir, resolve(path, '..', target)).startsWith('..'), `${path} -> ${target}`).toBe(false)
        expect(await exists(path), `${path} -> ${target} (dangling)`).toBe(true)
      } else if (info.isFile()) {
        bytes += info.size
        const content = await readFile(path)
        if (content.includes(workspaceDir.replace(/\/$/, '')) || content.includes(deployDir)) {
          workspaceMentions.push(path)
        }
      }
    }
    expect(links).toBeGreaterThan(100)
    expect(workspaceMentions, 'files naming the workspace or the folder the artifact was built in').toEqual([])

    const store = await readdir(join(appDir, 'node_modules/.pnpm'))
    for (const tool of DEV_TOOLS) {
      expect(store.filter((dir) => dir.startsWith(`${tool.replace('/', '+')}@`))).toEqual([])
      expect(await exists(join(appDir, 'node_modules', tool)), tool).toBe(false)
    }
    expect(await exists(join(appDir, 'src')), 'TypeScript sources').toBe(false)

    // Each direct dependency at the version server/package.json pins.
    const manifest = JSON.parse(await readFile(join(appDir, 'package.json'), 'utf8'))
    for (const [name, version] of Object.entries<string>(manifest.dependencies)) {
      if (version.startsWith('workspace:')) continue
      const installed = JSON.parse(await readFile(join(appDir, 'node_modules', name, 'package.json'), 'utf8'))
      expect(`${name}@${installed.version}`).toBe(`${name}@${version}`)
    }

    // Every line each patch adds is in the deployed file it patches.
    const workspaceYaml = await readFile(join(workspaceDir, 'pnpm-workspace.yaml'), 'utf8')
    const patches = [...workspaceYaml.matchAll(/^\s+["']?(@?[^@"'\s]+)@[^"'\s]+?["']?:\s*(patches\/\S+)/gm)]
    expect(patches.map((match) => match[1])).toEqual(expect.arrayContaining(['@trpc/server', 'trpc-to-openapi']))
    let patchedLines = 0
    for (const [, name, patch] of patches) {
      const sections = (await readFile(join(workspaceDir, patch!), 'utf8')).split(/^diff --git a\/\S+ b\//m).slice(1)
      expect(sections.length, patch).toBeGreaterThan(0)
      for (const section of sections) {
        const file = section.slice(0, section.indexOf('\n'))
        const deployed = await readFile(join(appDir, 'node_modules', name!, file), 'utf8')
        const added = section.split('\n').filter((line) => line.startsWith('+') && !line.startsWith('+++'))
        for (const line of added) expect(deployed, `${name}/${file}`).toContain(line.slice(1))
        patchedLines += added.length
      }
    }
    expect(patchedLines).toBeGreaterThan(50)

    const packages = store.filter((dir) => dir !== 'node_modules' && dir !== 'lock.yaml').length
    console.info(
      `deploy-artifact: deploy:server took ${(deploy.ms / 1000).toFixed(1)} s; the folder holds ` +
        `${(bytes / MiB).toFixed(1)} MiB in files, ${packages} packages`,
    )
    // A budget: today ~62 MiB (PGlite 27, swagger-ui 12); TypeScript coming back would be +23.
    expect(bytes).toBeLessThan(80 * MiB)
  })

  it('migrates a new database with plain node', async () => {
    const first = await run(process.execPath, MIGRATE.slice(1), appDir, env)
    expect(first.code, first.output).toBe(0)
    expect(first.output).toMatch(/^applied \d{4}_\d\d_\d\d_\d{6}_create_users$/m)
    const again = await run(process.execPath, MIGRATE.slice(1), appDir, env)
    expect(again.output.trim()).toBe('already up to date')
  })

  it('serves both doors with the V8 flags of start:prod, and drains on SIGTERM within 10 s', async () => {
    const server = spawn(process.execPath, [...V8_FLAGS, 'dist/main.js'], {
      cwd: appDir,
      env: { ...env, HOST: '127.0.0.1', PORT: '0', AUTH_JWT_SECRET: TEST_SECRET, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = server
    let output = ''
    server.stdout!.on('data', (chunk) => (output += chunk))
    server.stderr!.on('data', (chunk) => (output += chunk))
    const exited = once(server, 'exit').then(([code, signal]) => ({ code, signal, at: Date.now() }))
    const deadline = Date.now() + 30_000
    let url: string | undefined
    while (!url) {
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not listen:\n${output}`)
      await new Promise((resolveWait) => setTimeout(resolveWait, 50))
      url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
    }

    expect((await request(url, 'GET', '/readyz')).status).toBe(200)
    expect((await request(url, 'GET', '/livez')).status).toBe(200)
    // The image's HEALTHCHECK command says the same.
    const healthcheck = await run(HEALTHCHECK[0]!, HEALTHCHECK.slice(1), appDir, { ...env, PORT: new URL(url).port })
    expect(healthcheck.code, healthcheck.output).toBe(0)
    // The docs page's assets: swagger-ui-dist, found in the folder's node_modules.
    const docs = await request(url, 'GET', '/docs')
    expect(docs.status).toBe(200)
    const asset = /src="(\/docs\/[^"]+\.js[^"]*)"/.exec(docs.text)?.[1]
    expect(asset).toBeDefined()
    expect((await request(url, 'GET', asset!)).status).toBe(200)

    // The built-in issuer: register at REST, then the token at both doors.
    const registered = await request(url, 'POST', '/api/auth/register', {
      body: { email: 'deployed@example.com', password: 'a deployed password' },
    })
    expect(registered.status, registered.text).toBe(201)
    const ada = { id: registered.body.user.id as string, token: registered.body.token as string }
    const created = await restClient(url, ada.id, ada.token).create({ title: 'Deployed' })
    expect(created.status, created.text).toBe(201)
    const listed = await trpcClient(url, ada.token).tasks.list.query({ user_id: ada.id })
    expect(listed.map((task) => task.id)).toEqual([created.body.id])

    // A shared-secret (HS256) token: create at tRPC, list at REST.
    const bob = await newUser()
    const viaTrpc = await trpcClient(url, bob.token).tasks.create.mutate({ user_id: bob.id, title: 'Also deployed' })
    const viaRest = await restClient(url, bob.id, bob.token).list()
    expect(viaRest.status).toBe(200)
    expect(viaRest.body).toEqual([viaTrpc])

    const signalled = Date.now()
    server.kill('SIGTERM')
    const { code, signal, at } = await exited
    expect({ code, signal }, output).toEqual({ code: 0, signal: null })
    expect(at - signalled).toBeLessThan(10_000)
    expect(output).toMatch(/draining/)
  })

  it('is what the Dockerfile deploys and runs, and what compose.yaml migrates with', async () => {
    expect(HEALTHCHECK.slice(1, 2)).toEqual(['-e'])
    expect(dockerfile).toMatch(/^\s+pnpm install --frozen-lockfile$/m)
    expect(dockerfile).toMatch(/^\s+pnpm -F @todo\/server deploy:server \/deploy$/m)
    expect(dockerfile).toMatch(/^COPY --from=build \/deploy \.\/$/m)
    const cmd = /^CMD (\[.*\])$/m.exec(dockerfile)?.[1]
    expect(JSON.parse(cmd!)).toEqual(['node', ...V8_FLAGS, 'dist/main.js'])
    expect(dockerfile).toMatch(/^ENV NODE_ENV=production /m)
    const compose = await readFile(join(workspaceDir, 'compose.yaml'), 'utf8')
    expect(JSON.parse(/^\s+command: (\[.*\])$/m.exec(compose)![1]!)).toEqual(MIGRATE)
  })
})
