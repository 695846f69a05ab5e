import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { newUser, TEST_SECRET } from '../setup/auth.js'
import { request, restClient } from '../setup/http.js'
import { runServer, type ServerProcess, startServerProcess } from '../setup/process.js'

describe('the embedded database (file:)', () => {
  const dirs: string[] = []
  let running: ServerProcess | undefined
  afterAll(async () => {
    await running?.stop()
    for (const dir of dirs) await rm(dir, { recursive: true, force: true })
  })

  it('migrates a new data folder by itself and keeps tasks and built-in tokens across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'todo-embedded-'))
    dirs.push(dir)
    const env = { DATABASE_URL: `file:${dir}`, AUTH_JWT_SECRET: TEST_SECRET }
    const user = await newUser()

    running = await startServerProcess(env)
    const first = restClient(running.url, user.id, user.token)
    const task = (await first.create({ title: 'Survives a restart', description: 'kept on disk' })).body
    await first.complete(task.id)
    const registered = await request(running.url, 'POST', '/api/auth/register', {
      body: { email: 'restart@example.com', password: 'a good password' },
    })
    expect(registered.status).toBe(201)
    expect(await running.stop()).toBe(0)
    expect(running.output()).toMatch(/draining/)

    running = await startServerProcess(env)
    const again = restClient(running.url, user.id, user.token)
    const fetched = await again.get(task.id)
    expect(fetched.status).toBe(200)
    expect(fetched.body).toMatchObject({ title: 'Survives a restart', description: 'kept on disk', completed: true })
    expect((await again.list()).body).toHaveLength(1)
    const me = await request(running.url, 'GET', '/api/auth/me', { token: registered.body.token })
    expect(me.body).toEqual(registered.body.user)

    // A second process on the same folder would corrupt it: it refuses to start instead.
    const second = runServer({ ...env, PORT: '0' })
    expect(await second.exited).toBe(1)
    expect(second.output()).toMatch(/is in use by process \d+/)
    expect((await again.get(task.id)).status).toBe(200)
  })
})
