import { describe, expect, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { restClient } from '../setup/http.js'
import { useServer } from '../setup/server.js'
import { trpcClient, trpcError } from '../setup/trpc.js'

// trpc-to-openapi sets `coerce = true` on the very boolean/number schemas of an input on
// every REST call, so `?completed=false` parsed as true and tRPC then took "false" too.
describe('the coercion of trpc-to-openapi', () => {
  const server = useServer()

  it('keeps ?completed=false meaning pending, and tRPC still refusing strings, after REST calls', async () => {
    const user = await newUser()
    const api = restClient(server.url, user.id, user.token)
    const done = (await api.create({ title: 'done' })).body
    await api.create({ title: 'pending' })
    await api.complete(done.id)
    for (let i = 0; i < 3; i++) {
      expect((await api.list('completed=false')).body.map((t: { title: string }) => t.title)).toEqual(['pending'])
      expect((await api.list('completed=true')).body.map((t: { title: string }) => t.title)).toEqual(['done'])
      expect((await api.list('limit=1')).body).toHaveLength(1)
    }
    const client = trpcClient(server.url, user.token)
    const tasks = client.tasks as any
    for (const call of [
      tasks.list.query({ user_id: user.id, completed: 'false' }),
      tasks.list.query({ user_id: user.id, limit: '1' }),
      tasks.update.mutate({ user_id: user.id, id: done.id, completed: 'false' }),
      tasks.complete.mutate({ user_id: user.id, id: done.id, completed: 'false' }),
    ]) {
      expect((await trpcError(call)).data?.code).toBe('BAD_REQUEST')
    }
    expect((await api.get(done.id)).body.completed).toBe(true)
  })
})
