// The tRPC door answers plain JSON calls on a direct path (server/src/doors/trpc.ts) rather
// than through tRPC's Fetch handler. These requests go to two servers on one database: the
// product, and tRPC's stock `fastifyTRPCPlugin` mounted on the same router with the same
// options. Every answer must be the same: status, the headers that carry meaning, body.
import { appRouter, createServices, loadConfig, trpcFastifyErrorHandler, trpcHandlerOptions } from '@todo/server'
import { fastifyTRPCPlugin } from '@trpc/server/adapters/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newUser, newUserId, tokenFor } from '../setup/auth.js'
import { testDatabase } from '../setup/database.js'
import { restClient } from '../setup/http.js'
import { testEnv, useServer } from '../setup/server.js'

interface Call {
  method?: 'GET' | 'POST'
  path: string
  token?: string
  headers?: Record<string, string>
  body?: string
}

const input = (value: unknown) => encodeURIComponent(JSON.stringify(value))

async function answer(baseUrl: string, call: Call) {
  const headers: Record<string, string> = { ...call.headers }
  if (call.token) headers.authorization = `Bearer ${call.token}`
  const response = await fetch(`${baseUrl}/trpc/${call.path}`, {
    method: call.method ?? 'GET',
    headers,
    body: call.body,
  })
  const text = await response.text()
  const pick = (name: string) => response.headers.get(name)
  return {
    status: response.status,
    headers: {
      // Fastify adds `; charset=utf-8` on the direct path.
      'content-type': pick('content-type')?.split(';')[0],
      allow: pick('allow'),
      vary: pick('vary'),
      'www-authenticate': pick('www-authenticate'),
    },
    body: text === '' ? '' : JSON.parse(text),
  }
}

describe('plain tRPC calls answer as tRPC’s own handler does', () => {
  const direct = useServer()
  const stock = { url: '' }
  let stockApp: FastifyInstance
  beforeAll(async () => {
    stockApp = Fastify({ logger: false, routerOptions: { maxParamLength: 5000 } })
    const services = await createServices(loadConfig(testEnv()), await testDatabase(), stockApp)
    await stockApp.register(
      async (scope) => {
        scope.setErrorHandler(trpcFastifyErrorHandler)
        await scope.register(fastifyTRPCPlugin, { trpcOptions: trpcHandlerOptions(appRouter, services) })
      },
      { prefix: '/trpc' },
    )
    stock.url = await stockApp.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(() => stockApp?.close())

  /** A user with one task, made through the REST door. */
  async function withTask() {
    const user = await newUser()
    const task = (await restClient(direct.url, user.id, user.token).create({ title: 'Parity', description: 'é ✓' }))
      .body
    return { user, task, json: { 'content-type': 'application/json' } }
  }

  const cases: [string, () => Promise<Call>][] = [
    [
      'a query',
      async () => {
        const { user } = await withTask()
        return { path: `tasks.list?input=${input({ user_id: user.id })}`, token: user.token }
      },
    ],
    [
      'a query of one task',
      async () => {
        const { user, task } = await withTask()
        return { path: `tasks.get?input=${input({ user_id: user.id, id: task.id })}`, token: user.token }
      },
    ],
    [
      'a missing task (404)',
      async () => {
        const { user } = await withTask()
        return { path: `tasks.get?input=${input({ user_id: user.id, id: crypto.randomUUID() })}`, token: user.token }
      },
    ],
    [
      'invalid input (400 with issues)',
      async () => {
        const { user } = await withTask()
        return { path: `tasks.get?input=${input({ user_id: user.id, id: 'nope' })}`, token: user.token }
      },
    ],
    ['no input', async () => ({ path: 'tasks.list', token: (await newUser()).token })],
    [
      'malformed JSON in ?input=',
      async () => ({ path: 'tasks.list?input=%7B%22user_id', token: (await newUser()).token }),
    ],
    [
      'another user’s path (403)',
      async () => {
        const { user } = await withTask()
        return { path: `tasks.list?input=${input({ user_id: newUserId() })}`, token: user.token }
      },
    ],
    ['no token (401)', async () => ({ path: `tasks.list?input=${input({ user_id: newUserId() })}` })],
    [
      'a forged token (401 invalid_token)',
      async () => {
        const id = newUserId()
        return {
          path: `tasks.list?input=${input({ user_id: id })}`,
          token: await tokenFor(id, { secret: 'x'.repeat(40) }),
        }
      },
    ],
    [
      'a mutation with invalid input',
      async () => {
        const { user, json } = await withTask()
        return {
          method: 'POST',
          path: 'tasks.create',
          token: user.token,
          headers: json,
          body: JSON.stringify({ user_id: user.id, title: ' ' }),
        }
      },
    ],
    [
      'a mutation with malformed JSON',
      async () => {
        const { user, json } = await withTask()
        return { method: 'POST', path: 'tasks.create', token: user.token, headers: json, body: '{"title":' }
      },
    ],
    [
      'a mutation with a charset parameter',
      async () => {
        const { user } = await withTask()
        const headers = { 'content-type': 'application/json; charset=utf-8' }
        return {
          method: 'POST',
          path: 'tasks.delete',
          token: user.token,
          headers,
          body: JSON.stringify({ user_id: user.id, id: crypto.randomUUID() }),
        }
      },
    ],
    [
      'a mutation with no content type',
      async () => {
        const { user } = await withTask()
        return { method: 'POST', path: 'tasks.create', token: user.token }
      },
    ],
    [
      'a query sent as POST (405)',
      async () => {
        const { user, json } = await withTask()
        return {
          method: 'POST',
          path: 'tasks.list',
          token: user.token,
          headers: json,
          body: JSON.stringify({ user_id: user.id }),
        }
      },
    ],
    [
      'a mutation sent as GET (405)',
      async () => {
        const { user } = await withTask()
        return { path: `tasks.create?input=${input({ user_id: user.id, title: 'x' })}`, token: user.token }
      },
    ],
    ['an unknown procedure', async () => ({ path: 'tasks.nope', token: (await newUser()).token })],
    [
      'a percent-encoded procedure path',
      async () => {
        const { user } = await withTask()
        return { path: `tasks%2Elist?input=${input({ user_id: user.id })}`, token: user.token }
      },
    ],
    [
      'a batch with one success and one failure (207)',
      async () => {
        const { user, task } = await withTask()
        const inputs = { 0: { user_id: user.id, id: task.id }, 1: { user_id: user.id, id: crypto.randomUUID() } }
        return { path: `tasks.get,tasks.get?batch=1&input=${input(inputs)}`, token: user.token }
      },
    ],
    [
      'a batch of failures with one status',
      async () => {
        const { user } = await withTask()
        return { path: `tasks.nope,tasks.other?batch=1&input=${input({})}`, token: user.token }
      },
    ],
    [
      'a batch of mutations',
      async () => {
        const { user, json } = await withTask()
        const inputs = { 0: { user_id: user.id, id: crypto.randomUUID() }, 1: { user_id: user.id, title: '' } }
        return {
          method: 'POST',
          path: 'tasks.delete,tasks.create?batch=1',
          token: user.token,
          headers: json,
          body: JSON.stringify(inputs),
        }
      },
    ],
    [
      'a batch over the limit',
      async () => {
        const { user } = await withTask()
        return { path: `${Array(51).fill('tasks.list').join(',')}?batch=1&input=${input({})}`, token: user.token }
      },
    ],
    [
      'a batch whose input is not an object',
      async () => {
        const { user, json } = await withTask()
        return { method: 'POST', path: 'tasks.delete?batch=1', token: user.token, headers: json, body: '"x"' }
      },
    ],
    [
      'a batch that mixes queries and mutations',
      async () => {
        const { user } = await withTask()
        return {
          path: `tasks.list,tasks.create?batch=1&input=${input({ 0: { user_id: user.id } })}`,
          token: user.token,
        }
      },
    ],
  ]

  it.each(cases)('%s', async (_, make) => {
    const call = await make()
    const [a, b] = [await answer(direct.url, call), await answer(stock.url, call)]
    // One deliberate difference: tRPC's handler labels errors about the request as a whole
    // (content type, batch size) `text/plain` although their body is JSON; the direct path
    // labels every answer `application/json`.
    expect(a.headers['content-type']).toBe('application/json')
    expect(['application/json', 'text/plain']).toContain(b.headers['content-type'])
    const rest = (x: typeof a) => ({ ...x, headers: { ...x.headers, 'content-type': undefined } })
    expect(rest(a)).toEqual(rest(b))
  })

  it('covers the statuses that matter', async () => {
    const statuses = new Set<number>()
    for (const [, make] of cases) statuses.add((await answer(direct.url, await make())).status)
    expect([...statuses].sort()).toEqual([200, 207, 400, 401, 403, 404, 405, 415])
  })
})
