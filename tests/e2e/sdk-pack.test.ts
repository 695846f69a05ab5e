import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { useServer } from '../setup/server.js'

/**
 * The SDK as another project gets it: `npm pack` (plain npm, whose `prepack` builds it), then
 * plain `npm install` of the tarball (no `--legacy-peer-deps`) into new TypeScript projects
 * outside the workspace, from the registry:
 * - one on the oldest tRPC its peer range admits: it must type-check with `skipLibCheck:
 *   false`, refuse a wrong field name, and run against a live server;
 * - one next to the newest `@trpc/tanstack-react-query`, which pins `@trpc/client` and
 *   `@trpc/server` to its own version: the peers must resolve, and the React Query
 *   integration must type-check and run.
 */

const require = createRequire(import.meta.url)
const sdkDir = fileURLToPath(new URL('../../client-sdk/', import.meta.url))
const sdkManifest = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8'))
const testsManifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const SDK = sdkManifest.name as string
const tsc = require.resolve('typescript/bin/tsc')
const MINUTES = 60_000
const NPM_INSTALL = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']
const TYPES_NODE = `@types/node@${testsManifest.devDependencies['@types/node']}`
/** tRPC's packages name TypeScript as a peer: without one, npm would install the newest (7, native). */
const TYPESCRIPT = `typescript@${require('typescript/package.json').version}`

/** The oldest tRPC the SDK claims to work with: the floor of its peer range (`^11.4.0`). */
const OLDEST_TRPC = /^\^(\d+\.\d+\.\d+)$/.exec(sdkManifest.peerDependencies['@trpc/client'])?.[1]

interface Run {
  code: number
  /** stdout and stderr. */
  output: string
  stdout: string
}

/** Runs a command to its end; never rejects, so a failure can be asserted on with its output. */
function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 5 * MINUTES },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, output: `${stdout}${stderr}`, stdout })
      },
    )
  })
}

async function succeed(command: string, args: string[], cwd: string, env?: Record<string, string>) {
  const result = await run(command, args, cwd, env)
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}):\n${result.output}`)
  return result.stdout
}

/** A new folder holding `files` (objects are written as JSON). */
function project(prefix: string, files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
  }
  return dir
}

const STRICT = {
  strict: true,
  skipLibCheck: false,
  target: 'ES2022',
  lib: ['ES2022'],
  types: ['node'],
  outDir: 'dist',
}

/** Files of the project on the oldest tRPC. */
const FLOOR_FILES: Record<string, unknown> = {
  'package.json': { name: 'sdk-consumer', private: true, type: 'module' },
  'tsconfig.rest.json': { compilerOptions: { ...STRICT, module: 'NodeNext', noEmit: true }, files: ['rest-only.ts'] },
  // @trpc/client's own declarations name DOM's `RequestInfo`, which @types/node does not declare.
  'tsconfig.json': {
    compilerOptions: { ...STRICT, module: 'NodeNext', lib: ['ES2022', 'DOM'] },
    files: ['main.ts', 'rest-only.ts'],
  },
  'tsconfig.bundler.json': {
    compilerOptions: {
      ...STRICT,
      module: 'ESNext',
      moduleResolution: 'Bundler',
      lib: ['ES2022', 'DOM', 'DOM.Iterable'],
      noEmit: true,
    },
    files: ['main.ts', 'rest-only.ts'],
  },
  'tsconfig.wrong.json': {
    compilerOptions: { ...STRICT, module: 'NodeNext', lib: ['ES2022', 'DOM'], noEmit: true },
    files: ['wrong.ts'],
  },
  // The REST entry alone: the app that prefers plain REST installs no tRPC package.
  'rest-only.ts': `import { createTodoRestClient, type Task, TodoApiError } from '${SDK}/rest'

export async function pendingTitles(baseUrl: string, userId: string, token: string): Promise<string[]> {
  const api = createTodoRestClient({ baseUrl, getToken: () => token })
  const { data, error } = await api.GET('/{user_id}/tasks', {
    params: { path: { user_id: userId }, query: { completed: false } },
  })
  if (error) throw error satisfies TodoApiError
  return data.map((task: Task) => task.title)
}
`,
  'main.ts': `import {
  createTodoClient,
  createTodoRestClient,
  type RouterOutputs,
  type Task,
  TodoApiError,
  toTodoApiError,
} from '${SDK}'
import { pendingTitles } from './rest-only.js'

const baseUrl = process.env.TODO_BASE_URL ?? ''
const user_id = process.env.TODO_USER_ID ?? ''
const token = process.env.TODO_TOKEN ?? ''
const getToken = async () => token

const trpc = createTodoClient({ baseUrl, getToken })
const rest = createTodoRestClient({ baseUrl, getToken })

const created: RouterOutputs['tasks']['create'] = await trpc.tasks.create.mutate({ user_id, title: ' Packed ' })
const listed: Task[] = await trpc.tasks.list.query({ user_id, completed: false })
const path = { user_id, id: created.id }
const fetched = await rest.GET('/{user_id}/tasks/{id}', { params: { path } })
if (fetched.error) throw fetched.error
const completed = await rest.PATCH('/{user_id}/tasks/{id}/complete', { params: { path } })
const pending = await pendingTitles(baseUrl, user_id, token)
const removed = await rest.DELETE('/{user_id}/tasks/{id}', { params: { path } })

let viaTrpc: TodoApiError | undefined
try {
  await trpc.tasks.get.query(path)
} catch (error) {
  viaTrpc = toTodoApiError(error)
}
const viaRest = await rest.GET('/{user_id}/tasks/{id}', { params: { path } })

const describe = (error: TodoApiError | undefined) =>
  error && { code: error.code, status: error.status, isTodoApiError: error instanceof TodoApiError }
console.log(
  JSON.stringify({
    created: created.title,
    listed: listed.map((task) => task.title),
    fetched: fetched.data.id === created.id,
    completed: completed.data?.completed,
    pending,
    deleted: removed.response.status,
    trpcError: describe(viaTrpc),
    restError: describe(viaRest.error),
  }),
)
`,
  // Each commented line must fail to type-check.
  'wrong.ts': `import { createTodoClient, createTodoRestClient } from '${SDK}'

const trpc = createTodoClient({ baseUrl: '', getToken: () => null })
const rest = createTodoRestClient({ baseUrl: '', getToken: () => null })
await trpc.tasks.create.mutate({ user_id: 'u', titel: 'x' }) // line 5: input field
const task = await trpc.tasks.get.query({ user_id: 'u', id: 'i' })
console.log(task.titel) // line 7: output field
await rest.POST('/{user_id}/tasks', { params: { path: { user_id: 'u' } }, body: { titel: 'x' } }) // line 8: body field
const { data } = await rest.GET('/{user_id}/tasks/{id}', { params: { path: { user_id: 'u', id: 'i' } } })
console.log(data?.titel) // line 10: response field
`,
}

/**
 * Files of the project on `@trpc/tanstack-react-query`, as a Next.js app uses the SDK (without
 * Next.js). `skipLibCheck` is on, as in a Next.js app: the declarations of tRPC 11.12 to 11.22
 * name `ws`'s types in a way its ESM types do not match, whatever the SDK does. The
 * `@ts-expect-error` lines prove the SDK's types still arrive (an `any` would leave them unused).
 */
const REACT_QUERY_FILES: Record<string, unknown> = {
  'package.json': { name: 'sdk-react-query-consumer', private: true, type: 'module' },
  'tsconfig.json': {
    compilerOptions: { ...STRICT, skipLibCheck: true, module: 'NodeNext', lib: ['ES2022', 'DOM', 'DOM.Iterable'] },
    files: ['main.ts'],
  },
  'main.ts': `import { MutationObserver, QueryClient } from '@tanstack/react-query'
import { createTRPCContext, createTRPCOptionsProxy } from '@trpc/tanstack-react-query'
import { createTodoClient, type TaskPage, type TodoRouter, toTodoApiError } from '${SDK}'

// What the app's providers do (the hooks themselves need React rendering, not run here).
export const { TRPCProvider, useTRPC } = createTRPCContext<TodoRouter>()

const baseUrl = process.env.TODO_BASE_URL ?? ''
const user_id = process.env.TODO_USER_ID ?? ''
const token = process.env.TODO_TOKEN ?? ''

const queryClient = new QueryClient()
const client = createTodoClient({ baseUrl, getToken: () => token })
const trpc = createTRPCOptionsProxy<TodoRouter>({ client, queryClient })

const create = new MutationObserver(queryClient, trpc.tasks.create.mutationOptions())
for (const title of ['First', 'Second', 'Third']) await create.mutate({ user_id, title })
const pages = await queryClient.fetchInfiniteQuery({
  ...trpc.tasks.page.infiniteQueryOptions({ user_id, limit: 2 }, { getNextPageParam: (page) => page.next_cursor }),
  pages: 2,
})
const first: TaskPage | undefined = pages.pages[0]
// @ts-expect-error: a task has no \`titel\`
first?.items[0]?.titel
// @ts-expect-error: the input has no \`titel\`
trpc.tasks.list.queryOptions({ user_id, titel: 'x' })
let problem
try {
  await create.mutate({ user_id, title: '   ' })
} catch (error) {
  problem = toTodoApiError(error)
}
console.log(
  JSON.stringify({
    titles: pages.pages.flatMap((page) => page.items.map((task) => task.title)),
    more: first?.next_cursor !== null,
    cached: queryClient.getQueryData(trpc.tasks.page.infiniteQueryKey({ user_id, limit: 2 }))?.pages.length,
    problem: problem && { code: problem.code, status: problem.status, fields: problem.issues?.map((i) => i.path) },
  }),
)
`,
}

describe('the SDK packed with npm, in projects of their own', () => {
  const server = useServer()
  let tarball: string
  let packs: string
  const projects: string[] = []

  beforeAll(async () => {
    packs = mkdtempSync(join(tmpdir(), 'todo-sdk-pack-'))
    await succeed('npm', ['pack', '--pack-destination', packs, '--loglevel=error'], sdkDir)
    const name = readdirSync(packs).find((file) => file.endsWith('.tgz'))
    if (!name) throw new Error('npm pack made no tarball')
    tarball = join(packs, name)
  }, 2 * MINUTES)

  afterAll(() => {
    for (const dir of [...projects, packs]) if (dir) rmSync(dir, { recursive: true, force: true })
  })

  it('declares nothing that only pnpm would rewrite, so npm pack and pnpm pack give the same package', () => {
    expect(sdkManifest.publishConfig).toBeUndefined()
    expect(JSON.stringify(sdkManifest)).not.toMatch(/"(workspace|catalog):/)
  })

  describe(`on the oldest tRPC of its peer range (${OLDEST_TRPC})`, () => {
    let dir: string
    let manifest: Record<string, any>
    /** The program compiled to `dist/` (NodeNext), as the run below needs it. */
    let compiled: Run

    beforeAll(async () => {
      dir = project('todo-sdk-consumer-', FLOOR_FILES)
      projects.push(dir)
      // The tarball alone first (with Node's types): the REST entry must need nothing else.
      await succeed('npm', [...NPM_INSTALL, tarball, TYPES_NODE], dir)
      manifest = JSON.parse(readFileSync(join(dir, 'node_modules', SDK, 'package.json'), 'utf8'))
    }, 5 * MINUTES)

    it('is published as ESM with declarations, and nothing of the workspace', () => {
      expect(manifest.private).toBeUndefined()
      for (const entry of ['.', './trpc', './rest']) {
        const target = manifest.exports[entry]
        expect(target).toMatchObject({
          types: expect.stringMatching(/^\.\/dist\/.*\.d\.ts$/),
          import: expect.stringMatching(/^\.\/dist\/.*\.js$/),
        })
        expect(Object.keys(target).slice(-2)).toEqual(['types', 'import'])
        expect(existsSync(join(dir, 'node_modules', SDK, target.types))).toBe(true)
        expect(existsSync(join(dir, 'node_modules', SDK, target.import))).toBe(true)
      }
      expect(Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })).not.toContain('@todo/server')
      expect(JSON.stringify(manifest)).not.toContain('workspace:')
      const dist = join(dir, 'node_modules', SDK, 'dist')
      for (const file of readdirSync(dist)) {
        expect(readFileSync(join(dist, file), 'utf8'), file).not.toMatch(/@todo\/(server|contracts)|fastify|kysely/)
      }
      for (const server of ['fastify', 'kysely', 'pg', 'zod', '@todo/server']) {
        expect(existsSync(join(dir, 'node_modules', server)), server).toBe(false)
      }
    })

    it('type-checks a REST-only program with no tRPC package installed', async () => {
      expect(existsSync(join(dir, 'node_modules/@trpc'))).toBe(false)
      const result = await run(process.execPath, [tsc, '-p', 'tsconfig.rest.json'], dir)
      expect(result.output).toBe('')
      expect(result.code).toBe(0)
    })

    describe('with the tRPC peers installed', () => {
      beforeAll(async () => {
        const trpc = ['@trpc/client', '@trpc/server'].map((name) => `${name}@${OLDEST_TRPC}`)
        await succeed('npm', [...NPM_INSTALL, ...trpc, TYPESCRIPT], dir)
        compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir)
      }, 5 * MINUTES)

      it('type-checks a program using both clients, strictly (NodeNext and Bundler resolution)', async () => {
        expect(compiled.output).toBe('')
        expect(compiled.code).toBe(0)
        const bundler = await run(process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], dir)
        expect(bundler.output).toBe('')
        expect(bundler.code).toBe(0)
      })

      it('refuses a wrong field name at either client', async () => {
        const result = await run(process.execPath, [tsc, '-p', 'tsconfig.wrong.json'], dir)
        expect(result.code).not.toBe(0)
        const errors = result.output.split('\n').filter((line) => /^wrong\.ts\(\d+,\d+\): error TS/.test(line))
        const lines = errors.map((line) => Number(/^wrong\.ts\((\d+),/.exec(line)![1]))
        expect(
          [...new Set(lines)].sort((a, b) => a - b),
          result.output,
        ).toEqual([5, 7, 8, 10])
        for (const error of errors) expect(error).toContain('titel')
      })

      it('runs against a live server', async () => {
        expect(compiled.code).toBe(0)
        const user = await newUser()
        const output = await succeed(process.execPath, ['dist/main.js'], dir, {
          TODO_BASE_URL: server.url,
          TODO_USER_ID: user.id,
          TODO_TOKEN: user.token,
        })
        expect(JSON.parse(output)).toEqual({
          created: 'Packed',
          listed: ['Packed'],
          fetched: true,
          completed: true,
          pending: [],
          deleted: 204,
          trpcError: { code: 'NOT_FOUND', status: 404, isTodoApiError: true },
          restError: { code: 'NOT_FOUND', status: 404, isTodoApiError: true },
        })
      })
    })
  })

  describe('next to the newest @trpc/tanstack-react-query', () => {
    let dir: string
    let version: string
    let compiled: Run

    beforeAll(async () => {
      dir = project('todo-sdk-react-query-', REACT_QUERY_FILES)
      projects.push(dir)
      // The install line of client-sdk/README.md: tRPC's packages at the version
      // @trpc/tanstack-react-query pins them to.
      version = (await succeed('npm', ['view', '@trpc/tanstack-react-query', 'version'], dir)).trim()
      const trpc = ['@trpc/tanstack-react-query', '@trpc/client', '@trpc/server'].map((name) => `${name}@${version}`)
      const others = ['@tanstack/react-query', 'react', '@types/react', TYPES_NODE, TYPESCRIPT]
      await succeed('npm', [...NPM_INSTALL, tarball, ...trpc, ...others], dir)
      compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir)
    }, 5 * MINUTES)

    it('installs with npm, peers resolved without --legacy-peer-deps', async () => {
      const installed = (name: string) =>
        JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')).version
      expect(installed('@trpc/client')).toBe(version)
      expect(installed('@trpc/server')).toBe(version)
      const listed = await run('npm', ['ls', '--all', '--loglevel=error'], dir)
      expect(listed.stdout).not.toMatch(/invalid|ERESOLVE|UNMET (PEER )?DEPENDENCY/)
      expect(listed.code, listed.output).toBe(0)
    })

    it('type-checks the React Query integration strictly', () => {
      expect(compiled.output).toBe('')
      expect(compiled.code).toBe(0)
    })

    it('runs React Query calls against a live server', async () => {
      expect(compiled.code).toBe(0)
      const user = await newUser()
      const output = await succeed(process.execPath, ['dist/main.js'], dir, {
        TODO_BASE_URL: server.url,
        TODO_USER_ID: user.id,
        TODO_TOKEN: user.token,
      })
      expect(JSON.parse(output)).toEqual({
        titles: ['Third', 'Second', 'First'],
        more: true,
        cached: 2,
        problem: { code: 'BAD_REQUEST', status: 400, fields: [['title']] },
      })
    })
  })
})
