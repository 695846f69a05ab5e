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
 * The SDK as another project gets it: `pnpm pack`, then `npm install` of the tarball into a
 * new TypeScript project outside the workspace (from the registry, so this is slow), which
 * must type-check with `skipLibCheck: false`, refuse a wrong field name, and run against a
 * live server.
 */

const require = createRequire(import.meta.url)
const sdkDir = fileURLToPath(new URL('../../client-sdk/', import.meta.url))
const sdkManifest = JSON.parse(readFileSync(join(sdkDir, 'package.json'), 'utf8'))
const testsManifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const tsc = require.resolve('typescript/bin/tsc')
const MINUTES = 60_000

interface Run {
  code: number
  output: string
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
        resolve({ code, output: `${stdout}${stderr}` })
      },
    )
  })
}

async function succeed(command: string, args: string[], cwd: string, env?: Record<string, string>) {
  const result = await run(command, args, cwd, env)
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.code}):\n${result.output}`)
  return result.output
}

const STRICT = {
  strict: true,
  skipLibCheck: false,
  target: 'ES2022',
  lib: ['ES2022'],
  types: ['node'],
  outDir: 'dist',
}

const FILES: Record<string, unknown> = {
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
  'rest-only.ts': `import { createTodoRestClient, type Task, TodoApiError } from '@todo/client-sdk/rest'

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
} from '@todo/client-sdk'
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
  'wrong.ts': `import { createTodoClient, createTodoRestClient } from '@todo/client-sdk'

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

describe('the packed SDK in a project of its own', () => {
  const server = useServer()
  let project: string
  let manifest: Record<string, any>

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 'todo-sdk-consumer-'))
    const packs = mkdtempSync(join(tmpdir(), 'todo-sdk-pack-'))
    try {
      await succeed('pnpm', ['pack', '--pack-destination', packs], sdkDir)
      const tarball = readdirSync(packs).find((name) => name.endsWith('.tgz'))
      if (!tarball) throw new Error('pnpm pack made no tarball')
      for (const [name, content] of Object.entries(FILES)) {
        writeFileSync(join(project, name), typeof content === 'string' ? content : JSON.stringify(content, null, 2))
      }
      // The tarball alone first (with Node's types): the REST entry must need nothing else.
      const npm = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']
      await succeed(
        'npm',
        [...npm, join(packs, tarball), `@types/node@${testsManifest.devDependencies['@types/node']}`],
        project,
      )
      manifest = JSON.parse(readFileSync(join(project, 'node_modules/@todo/client-sdk/package.json'), 'utf8'))
    } finally {
      rmSync(packs, { recursive: true, force: true })
    }
  }, 10 * MINUTES)

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true })
  })

  it('is published as ESM with declarations, and nothing of the workspace', () => {
    expect(manifest.private).toBeUndefined()
    for (const entry of ['.', './trpc', './rest']) {
      const target = manifest.exports[entry]
      expect(target).toEqual({ types: expect.stringMatching(/\.d\.ts$/), import: expect.stringMatching(/\.js$/) })
      expect(existsSync(join(project, 'node_modules/@todo/client-sdk', target.types))).toBe(true)
    }
    expect(Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies })).not.toContain('@todo/server')
    expect(JSON.stringify(manifest)).not.toContain('workspace:')
    const dist = join(project, 'node_modules/@todo/client-sdk/dist')
    for (const file of readdirSync(dist)) {
      expect(readFileSync(join(dist, file), 'utf8'), file).not.toMatch(/@todo\/(server|contracts)|fastify|kysely/)
    }
    for (const server of ['fastify', 'kysely', 'pg', 'zod', '@todo/server']) {
      expect(existsSync(join(project, 'node_modules', server)), server).toBe(false)
    }
  })

  it('type-checks a REST-only program with no tRPC package installed', async () => {
    expect(existsSync(join(project, 'node_modules/@trpc'))).toBe(false)
    const result = await run(process.execPath, [tsc, '-p', 'tsconfig.rest.json'], project)
    expect(result.output).toBe('')
    expect(result.code).toBe(0)
  })

  describe('with the tRPC peers installed', () => {
    /** The program compiled to `dist/` (NodeNext), as the run below needs it. */
    let compiled: Run

    beforeAll(async () => {
      const trpc = ['@trpc/client', '@trpc/server'].map((name) => `${name}@${sdkManifest.devDependencies[name]}`)
      await succeed(
        'npm',
        ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...trpc],
        project,
      )
      compiled = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project)
    }, 10 * MINUTES)

    it(
      'type-checks a program using both clients, strictly (NodeNext and Bundler resolution)',
      async () => {
        expect(compiled.output).toBe('')
        expect(compiled.code).toBe(0)
        const bundler = await run(process.execPath, [tsc, '-p', 'tsconfig.bundler.json'], project)
        expect(bundler.output).toBe('')
        expect(bundler.code).toBe(0)
      },
      2 * MINUTES,
    )

    it(
      'refuses a wrong field name at either client',
      async () => {
        const result = await run(process.execPath, [tsc, '-p', 'tsconfig.wrong.json'], project)
        expect(result.code).not.toBe(0)
        const errors = result.output.split('\n').filter((line) => /^wrong\.ts\(\d+,\d+\): error TS/.test(line))
        const lines = errors.map((line) => Number(/^wrong\.ts\((\d+),/.exec(line)![1]))
        expect(
          [...new Set(lines)].sort((a, b) => a - b),
          result.output,
        ).toEqual([5, 7, 8, 10])
        for (const error of errors) expect(error).toContain('titel')
      },
      2 * MINUTES,
    )

    it(
      'runs against a live server',
      async () => {
        expect(compiled.code).toBe(0)
        const user = await newUser()
        const output = await succeed(process.execPath, ['dist/main.js'], project, {
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
      },
      2 * MINUTES,
    )
  })
})
