import { randomUUID } from 'node:crypto'
import {
  applyChanges,
  createTodoClient,
  createTodoRestClient,
  nextPageCursor,
  positionBetween,
  type RouterInputs,
  type RouterOutputs,
  syncTasks,
  type Task,
  TodoApiError,
  toTodoApiError,
  watchTasks,
} from '@todo-api/client-sdk'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { newUser, newUserId } from '../setup/auth.js'
import { useServer } from '../setup/server.js'

/** A `fetch` that counts the requests it sends. */
function countingFetch() {
  const requests: Request[] = []
  const fetch: typeof globalThis.fetch = (input, init) => {
    const request = new Request(input, init)
    requests.push(request.clone())
    return globalThis.fetch(request)
  }
  return { fetch, requests }
}

/** The rejection of a call, as the caller catches it. */
async function rejection(call: Promise<unknown>): Promise<unknown> {
  try {
    await call
  } catch (error) {
    return error
  }
  throw new Error('expected the call to fail')
}

describe('SDK tRPC client (createTodoClient) against a live server', () => {
  const server = useServer()

  async function setup(batching?: 'batch' | 'stream') {
    const user = await newUser()
    const client = createTodoClient({ baseUrl: `${server.url}/`, getToken: () => user.token, batching })
    return { user, client }
  }

  it.each(['batch', 'stream'] as const)('goes through every procedure (%s link)', async (batching) => {
    const { user, client } = await setup(batching)
    const user_id = user.id

    const created = await client.tasks.create.mutate({ user_id, title: '  Write the report ', description: 'Q3' })
    expectTypeOf(created).toEqualTypeOf<Task>()
    expect(created).toMatchObject({ user_id, title: 'Write the report', description: 'Q3', completed: false })
    const id = created.id
    await client.tasks.create.mutate({ user_id, title: 'Second' })

    expect(await client.tasks.get.query({ user_id, id })).toEqual(created)
    const list = await client.tasks.list.query({ user_id, sort: 'title', order: 'desc' })
    expect(list.map((task) => task.title)).toEqual(['Write the report', 'Second'])
    const first = await client.tasks.page.query({ user_id, limit: 1 })
    expect(first.items).toHaveLength(1)
    expect(first.next_cursor).toEqual(expect.any(String))
    const second = await client.tasks.page.query({ user_id, limit: 1, cursor: first.next_cursor! })
    expect(second).toEqual({ items: [expect.objectContaining({ title: 'Write the report' })], next_cursor: null })
    // An infinite query (TanStack Query) refetches its first page with `cursor: null`.
    expect(await client.tasks.page.query({ user_id, limit: 1, cursor: null })).toEqual(first)

    const updated = await client.tasks.update.mutate({ user_id, id, title: 'Write it', description: null })
    expect(updated).toMatchObject({ title: 'Write it', description: null })
    const toggled = await client.tasks.complete.mutate({ user_id, id })
    expect(toggled).toMatchObject({ completed: true, completed_at: expect.any(String) })
    expect(await client.tasks.complete.mutate({ user_id, id, completed: true })).toMatchObject({ completed: true })
    expect(await client.tasks.list.query({ user_id, completed: false })).toHaveLength(1)

    expect(await client.tasks.delete.mutate({ user_id, id })).toBeUndefined()
    const gone = toTodoApiError(await rejection(client.tasks.get.query({ user_id, id })))
    expect(gone).toMatchObject({ code: 'NOT_FOUND', status: 404 })
  })

  it('registers, signs in and reads the user with the built-in issuer', async () => {
    let token: string | null = null
    const client = createTodoClient({ baseUrl: server.url, getToken: () => token })
    const email = `${randomUUID()}@example.com`
    const registered = await client.auth.register.mutate({ email, password: 'correct horse', name: 'Ada' })
    expect(registered.user).toMatchObject({ email, name: 'Ada' })
    const session = await client.auth.login.mutate({ email, password: 'correct horse' })
    token = session.token
    expect(await client.auth.me.query()).toEqual(registered.user)
    await client.tasks.create.mutate({ user_id: session.user.id, title: 'Mine' })
    expect(await client.tasks.list.query({ user_id: session.user.id })).toHaveLength(1)

    const taken = toTodoApiError(await rejection(client.auth.register.mutate({ email, password: 'another one' })))
    expect(taken).toMatchObject({ code: 'CONFLICT', status: 409 })
    const wrong = toTodoApiError(await rejection(client.auth.login.mutate({ email, password: 'wrong password' })))
    expect(wrong).toMatchObject({ code: 'UNAUTHORIZED', status: 401 })
  })

  it('sends the calls of one tick in one request, with the bearer token', async () => {
    const user = await newUser()
    const { fetch, requests } = countingFetch()
    const client = createTodoClient({ baseUrl: server.url, getToken: async () => user.token, fetch })
    const [a, b] = await Promise.all([
      client.tasks.list.query({ user_id: user.id }),
      client.tasks.list.query({ user_id: user.id, completed: true }),
    ])
    expect([a, b]).toEqual([[], []])
    expect(requests).toHaveLength(1)
    expect(requests[0]!.url).toContain('/trpc/tasks.list,tasks.list?batch=1')
    expect(requests[0]!.headers.get('authorization')).toBe(`Bearer ${user.token}`)
  })

  it('asks for the token before every request, so a new token is used at once', async () => {
    const first = await newUser()
    const second = await newUser()
    let token = first.token
    const client = createTodoClient({ baseUrl: server.url, getToken: () => token })
    await client.tasks.create.mutate({ user_id: first.id, title: 'A' })
    token = second.token
    expect(await client.tasks.list.query({ user_id: second.id })).toEqual([])
  })

  it('gives every error answer as a TodoApiError through toTodoApiError', async () => {
    const user = await newUser()
    const anonymous = createTodoClient({ baseUrl: server.url, getToken: () => null })
    const client = createTodoClient({ baseUrl: server.url, getToken: () => user.token })

    const cases = [
      [() => anonymous.tasks.list.query({ user_id: user.id }), 'UNAUTHORIZED', 401],
      [() => client.tasks.list.query({ user_id: newUserId() }), 'FORBIDDEN', 403],
      [() => client.tasks.get.query({ user_id: user.id, id: randomUUID() }), 'NOT_FOUND', 404],
      [() => client.tasks.create.mutate({ user_id: user.id, title: '   ' }), 'BAD_REQUEST', 400],
    ] as const
    for (const [call, code, status] of cases) {
      const error = toTodoApiError(await rejection(call()))
      expect(error).toBeInstanceOf(TodoApiError)
      expect(error).toMatchObject({ code, status, message: expect.any(String) })
    }
    const invalid = toTodoApiError(await rejection(client.tasks.create.mutate({ user_id: user.id, title: '' })))
    expect(invalid?.issues).toEqual([{ path: ['title'], message: expect.any(String) }])
  })

  it('leaves a failure that is no answer of the API to the caller', async () => {
    const client = createTodoClient({ baseUrl: 'http://127.0.0.1:9', getToken: () => null })
    const error = await rejection(client.tasks.list.query({ user_id: 'u' }))
    expect(toTodoApiError(error)).toBeUndefined()
  })

  it('types inputs and outputs from the router', () => {
    expectTypeOf<RouterInputs['tasks']['create']>().toEqualTypeOf<{
      user_id: string
      id?: string | undefined
      title: string
      description?: string | null | undefined
      due?: string | null | undefined
      priority?: number | undefined
      labels?: string[] | undefined
      position?: string | null | undefined
    }>()
    expectTypeOf<RouterInputs['tasks']['list']['completed']>().toEqualTypeOf<boolean | undefined>()
    expectTypeOf<RouterOutputs['tasks']['page']['next_cursor']>().toEqualTypeOf<string | null>()
  })
})

describe('SDK REST client (createTodoRestClient) against a live server', () => {
  const server = useServer()

  async function setup() {
    const user = await newUser()
    return { user, api: createTodoRestClient({ baseUrl: server.url, getToken: () => user.token }) }
  }

  it('goes through every operation', async () => {
    const { user, api } = await setup()
    const path = { user_id: user.id }

    const created = await api.POST('/{user_id}/tasks', { params: { path }, body: { title: 'Pay rent' } })
    expect(created.response.status).toBe(201)
    expect(created.error).toBeUndefined()
    expectTypeOf(created.data).toEqualTypeOf<Task | undefined>()
    const id = created.data!.id
    await api.POST('/{user_id}/tasks', { params: { path }, body: { title: 'Call mum', description: 'Sunday' } })

    const page = await api.GET('/{user_id}/tasks', { params: { path, query: { limit: 1, sort: 'title' } } })
    expect(page.data!.map((task) => task.title)).toEqual(['Call mum'])
    const cursor = nextPageCursor(page.response)
    expect(cursor).toEqual(expect.any(String))
    const rest = await api.GET('/{user_id}/tasks', {
      params: { path, query: { limit: 1, sort: 'title', cursor: cursor! } },
    })
    expect(rest.data!.map((task) => task.title)).toEqual(['Pay rent'])
    expect(nextPageCursor(rest.response)).toBeNull()

    const one = await api.GET('/{user_id}/tasks/{id}', { params: { path: { ...path, id } } })
    expect(one.data).toEqual(created.data)
    const updated = await api.PUT('/{user_id}/tasks/{id}', {
      params: { path: { ...path, id } },
      body: { title: 'Pay the rent', description: 'by the 1st' },
    })
    expect(updated.data).toMatchObject({ title: 'Pay the rent', description: 'by the 1st' })
    const toggled = await api.PATCH('/{user_id}/tasks/{id}/complete', { params: { path: { ...path, id } } })
    expect(toggled.data).toMatchObject({ completed: true })
    const reopened = await api.PATCH('/{user_id}/tasks/{id}/complete', {
      params: { path: { ...path, id } },
      body: { completed: false },
    })
    expect(reopened.data).toMatchObject({ completed: false, completed_at: null })
    const pending = await api.GET('/{user_id}/tasks', { params: { path, query: { completed: false } } })
    expect(pending.data).toHaveLength(2)

    const deleted = await api.DELETE('/{user_id}/tasks/{id}', { params: { path: { ...path, id } } })
    expect(deleted.response.status).toBe(204)
    expect(deleted.error).toBeUndefined()
    const gone = await api.GET('/{user_id}/tasks/{id}', { params: { path: { ...path, id } } })
    expect(gone.data).toBeUndefined()
    expect(gone.error).toMatchObject({ code: 'NOT_FOUND', status: 404 })
  })

  it('registers, signs in and reads the user with the built-in issuer', async () => {
    let token: string | undefined
    const api = createTodoRestClient({ baseUrl: server.url, getToken: () => token })
    const email = `${randomUUID()}@example.com`
    const registered = await api.POST('/auth/register', { body: { email, password: 'correct horse' } })
    expect(registered.response.status).toBe(201)
    const login = await api.POST('/auth/login', { body: { email, password: 'correct horse' } })
    if (login.error) throw login.error
    token = login.data.token
    const me = await api.GET('/auth/me')
    expect(me.data).toEqual(registered.data?.user)

    const taken = await api.POST('/auth/register', { body: { email, password: 'another one' } })
    expect(taken.error).toMatchObject({ code: 'CONFLICT', status: 409 })
    token = undefined
    const anonymous = await api.GET('/auth/me')
    expect(anonymous.error).toMatchObject({ code: 'UNAUTHORIZED', status: 401 })
  })

  it('returns every error answer as a TodoApiError value, never thrown', async () => {
    const { user, api } = await setup()
    const anonymous = createTodoRestClient({ baseUrl: server.url, getToken: () => undefined })

    const unauthorized = await anonymous.GET('/{user_id}/tasks', { params: { path: { user_id: user.id } } })
    const forbidden = await api.GET('/{user_id}/tasks', { params: { path: { user_id: newUserId() } } })
    const notFound = await api.PATCH('/{user_id}/tasks/{id}/complete', {
      params: { path: { user_id: user.id, id: randomUUID() } },
    })
    const invalid = await api.POST('/{user_id}/tasks', { params: { path: { user_id: user.id } }, body: { title: '' } })

    for (const [result, code, status] of [
      [unauthorized, 'UNAUTHORIZED', 401],
      [forbidden, 'FORBIDDEN', 403],
      [notFound, 'NOT_FOUND', 404],
      [invalid, 'BAD_REQUEST', 400],
    ] as const) {
      expect(result.data).toBeUndefined()
      expect(result.error).toBeInstanceOf(TodoApiError)
      expect(result.error).toMatchObject({ code, status, message: expect.any(String) })
      expect(result.response.status).toBe(status)
    }
    expect(unauthorized.response.headers.get('www-authenticate')).toBe('Bearer')
    expect(invalid.error!.issues).toEqual([{ path: ['title'], message: expect.any(String) }])
    if (invalid.error) expectTypeOf(invalid.error).toEqualTypeOf<TodoApiError>()
  })

  it('reads an error answer that is not the API’s body (a proxy’s) by its status', async () => {
    const fetch: typeof globalThis.fetch = async () =>
      new Response('<html>Bad Gateway</html>', { status: 502, statusText: 'Bad Gateway' })
    const api = createTodoRestClient({ baseUrl: server.url, getToken: () => 't', fetch })
    const { error } = await api.GET('/{user_id}/tasks', { params: { path: { user_id: 'u' } } })
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 502 })
  })

  it('sends the bearer token of getToken and no authorization without one', async () => {
    const { fetch, requests } = countingFetch()
    const user = await newUser()
    const api = createTodoRestClient({ baseUrl: server.url, getToken: async () => user.token, fetch })
    const anonymous = createTodoRestClient({ baseUrl: server.url, getToken: () => null, fetch })
    await api.GET('/{user_id}/tasks', { params: { path: { user_id: user.id } } })
    await anonymous.GET('/{user_id}/tasks', { params: { path: { user_id: user.id } } })
    expect(requests.map((request) => request.headers.get('authorization'))).toEqual([`Bearer ${user.token}`, null])
    expect(new URL(requests[0]!.url).pathname).toBe(`/api/${user.id}/tasks`)
  })
})

describe('SDK sync helpers (syncTasks, applyChanges, watchTasks)', () => {
  const server = useServer()

  it('syncTasks pages the feed to its end and returns the cursor to go on from', async () => {
    const user = await newUser()
    const client = createTodoClient({ baseUrl: server.url, getToken: () => user.token })
    for (let i = 0; i < 5; i++) await client.tasks.create.mutate({ user_id: user.id, title: `s${i}` })
    const tasks = new Map<string, Task>()
    const first = await syncTasks(client, { userId: user.id, limit: 2 })
    applyChanges(tasks, first.changes)
    expect([...tasks.values()].map((task) => task.title).sort()).toEqual(['s0', 's1', 's2', 's3', 's4'])
    const [gone, kept] = [...tasks.values()]
    await client.tasks.delete.mutate({ user_id: user.id, id: gone!.id })
    await client.tasks.update.mutate({ user_id: user.id, id: kept!.id, title: 'kept' })
    const next = await syncTasks(client, { userId: user.id, since: first.cursor })
    applyChanges(tasks, next.changes)
    expect(tasks.has(gone!.id)).toBe(false)
    expect(tasks.get(kept!.id)?.title).toBe('kept')
    expect(await syncTasks(client, { userId: user.id, since: next.cursor })).toMatchObject({ changes: [] })
  })

  it('watchTasks keeps a list equal to the server’s as others write', async () => {
    const user = await newUser()
    const client = createTodoClient({ baseUrl: server.url, getToken: () => user.token })
    await client.tasks.create.mutate({ user_id: user.id, title: 'before' })
    let latest: Task[] = []
    const watch = watchTasks(client, { userId: user.id, onTasks: (tasks) => (latest = tasks) })
    try {
      const until = async (check: () => boolean) => {
        for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 30))
      }
      await until(() => latest.length === 1)
      const rest = createTodoRestClient({ baseUrl: server.url, getToken: () => user.token })
      const made = await rest.POST('/{user_id}/tasks', {
        params: { path: { user_id: user.id } },
        body: { title: 'after' },
      })
      await rest.PATCH('/{user_id}/tasks/{id}/complete', { params: { path: { user_id: user.id, id: made.data!.id } } })
      const onServer = await client.tasks.list.query({ user_id: user.id })
      await until(() => JSON.stringify(latest) === JSON.stringify(onServer))
      expect(latest).toEqual(onServer)
    } finally {
      watch.stop()
    }
  })

  it('gives the task as it is now with a lost conditional write, at either client', async () => {
    const user = await newUser()
    const client = createTodoClient({ baseUrl: server.url, getToken: () => user.token })
    const task = await client.tasks.create.mutate({ user_id: user.id, title: 'v1' })
    const now = await client.tasks.update.mutate({ user_id: user.id, id: task.id, title: 'v2' })
    const lost = toTodoApiError(
      await rejection(client.tasks.update.mutate({ user_id: user.id, id: task.id, title: 'v3', if_version: 1 })),
    )
    expect(lost).toMatchObject({ code: 'PRECONDITION_FAILED', status: 412, current: now })
    const rest = createTodoRestClient({ baseUrl: server.url, getToken: () => user.token })
    const { error } = await rest.PUT('/{user_id}/tasks/{id}', {
      params: { path: { user_id: user.id, id: task.id } },
      headers: { 'if-match': '"1"' },
      body: { title: 'v3' },
    })
    expect(error).toMatchObject({ code: 'PRECONDITION_FAILED', status: 412, current: now })
  })
})

describe('positionBetween', () => {
  const server = useServer()

  it('moves a task between two others in the user’s own order, rewriting no other task', async () => {
    const user = await newUser()
    const client = createTodoClient({ baseUrl: server.url, getToken: () => user.token })
    let previous: string | null = null
    const tasks: Task[] = []
    for (const title of ['one', 'two', 'three']) {
      previous = positionBetween(previous, null)
      tasks.push(await client.tasks.create.mutate({ user_id: user.id, title, position: previous }))
    }
    const [one, two, three] = tasks as [Task, Task, Task]
    await client.tasks.update.mutate({
      user_id: user.id,
      id: three.id,
      position: positionBetween(one.position, two.position),
    })
    const ordered = await client.tasks.list.query({ user_id: user.id, sort: 'position' })
    expect(ordered.map((task) => [task.title, task.version])).toEqual([
      ['one', 1],
      ['three', 2],
      ['two', 1],
    ])
  })
})
