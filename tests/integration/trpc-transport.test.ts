import type { AppRouter } from '@todo/server'
import { createTRPCClient, httpBatchStreamLink } from '@trpc/client'
import { describe, expect, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { useServer } from '../setup/server.js'
import { trpcClient, trpcError } from '../setup/trpc.js'

describe('the tRPC door over HTTP', () => {
  const server = useServer()

  it('answers plain calls with one JSON body of known length', async () => {
    const user = await newUser()
    const response = await fetch(
      `${server.url}/trpc/tasks.list?input=${encodeURIComponent(JSON.stringify({ user_id: user.id }))}`,
      {
        headers: { authorization: `Bearer ${user.token}` },
      },
    )
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toMatch(/^application\/json/)
    expect(response.headers.get('content-length')).not.toBeNull()
    expect(await response.json()).toEqual({ result: { data: [] } })
  })

  it('serves batches, and streamed batches (trpc-accept: application/jsonl)', async () => {
    const user = await newUser()
    const batch = trpcClient(server.url, user.token)
    const [a, b] = await Promise.all([
      batch.tasks.create.mutate({ user_id: user.id, title: 'first' }),
      batch.tasks.create.mutate({ user_id: user.id, title: 'second' }),
    ])
    const streamed = createTRPCClient<AppRouter>({
      links: [httpBatchStreamLink({ url: `${server.url}/trpc`, headers: { authorization: `Bearer ${user.token}` } })],
    })
    const [list, got] = await Promise.all([
      streamed.tasks.list.query({ user_id: user.id }),
      streamed.tasks.get.query({ user_id: user.id, id: a.id }),
    ])
    expect(list.map((task) => task.id).sort()).toEqual([a.id, b.id].sort())
    expect(got).toEqual(a)
    const error = await trpcError(streamed.tasks.get.query({ user_id: user.id, id: crypto.randomUUID() }))
    expect(error.data?.code).toBe('NOT_FOUND')
  })

  it('refuses a query sent as POST and a mutation sent as GET, as tRPC does', async () => {
    const user = await newUser()
    const headers = { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' }
    const post = await fetch(`${server.url}/trpc/tasks.list`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ user_id: user.id }),
    })
    const get = await fetch(
      `${server.url}/trpc/tasks.create?input=${encodeURIComponent(JSON.stringify({ user_id: user.id, title: 'x' }))}`,
      { headers },
    )
    expect([post.status, get.status]).toEqual([405, 405])
  })
})
