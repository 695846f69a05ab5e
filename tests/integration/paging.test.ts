import type { Task } from '@todo/contracts'
import { describe, expect, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { testDatabase } from '../setup/database.js'
import { type Door, doors } from '../setup/doors.js'
import { request } from '../setup/http.js'
import { startServer, useServer } from '../setup/server.js'

/** Inserts `count` tasks straight into the database, one millisecond apart (some share one). */
async function seedTasks(userId: string, count: number): Promise<void> {
  const { db } = await testDatabase()
  await db
    .insertInto('users')
    .values({ id: userId })
    .onConflict((oc) => oc.doNothing())
    .execute()
  const start = Date.now() - count * 1000
  await db
    .insertInto('tasks')
    .values(
      Array.from({ length: count }, (_, i) => ({
        user_id: userId,
        title: `task ${String(i).padStart(3, '0')}`,
        // Every third task shares its timestamp with the one before: the id breaks the tie.
        created_at: new Date(start + (i - (i % 3 === 2 ? 1 : 0)) * 10),
        updated_at: new Date(start + i * 10),
      })),
    )
    .execute()
}

async function readAllPages(door: Door, input: Record<string, unknown>, between?: () => Promise<void>) {
  const pages: Task[][] = []
  let cursor: string | null | undefined
  do {
    const outcome = await door.page({ ...input, ...(cursor && { cursor }) })
    expect(outcome.status).toBe(200)
    pages.push(outcome.data!.items)
    cursor = outcome.data!.next_cursor
    await between?.()
  } while (cursor && pages.length < 100)
  return pages
}

describe.each(doors)('paging at the %s door', (_name, makeDoor) => {
  const server = useServer()

  it('walks 230 tasks in pages of 50 with no duplicate and no gap', async () => {
    const user = await newUser()
    await seedTasks(user.id, 230)
    const door = makeDoor(server.url, user.token)
    const pages = await readAllPages(door, { user_id: user.id, limit: 50 })
    expect(pages.map((p) => p.length)).toEqual([50, 50, 50, 50, 30])
    const all = pages.flat()
    expect(new Set(all.map((t) => t.id)).size).toBe(230)
    const everything = (await door.list({ user_id: user.id, limit: 500 })).data!
    expect(all).toEqual(everything)
  })

  it('stays stable while tasks are created between pages', async () => {
    const user = await newUser()
    await seedTasks(user.id, 120)
    const door = makeDoor(server.url, user.token)
    const before = (await door.list({ user_id: user.id, limit: 500 })).data!.map((t) => t.id)
    let n = 0
    const pages = await readAllPages(door, { user_id: user.id, limit: 25 }, async () => {
      await door.create({ user_id: user.id, title: `added while paging ${n++}` })
    })
    expect(pages.flat().map((t) => t.id)).toEqual(before)
  })

  it.each<[{ sort?: string; order?: string; completed?: boolean }, (a: Task, b: Task) => number]>([
    [{ sort: 'title' }, (a: Task, b: Task) => (a.title < b.title ? -1 : 1)],
    [{ sort: 'title', order: 'desc' }, (a: Task, b: Task) => (a.title < b.title ? 1 : -1)],
    [{ sort: 'updated_at', order: 'asc' }, (a: Task, b: Task) => a.updated_at.localeCompare(b.updated_at)],
    [{ order: 'asc', completed: false }, (a: Task, b: Task) => a.created_at.localeCompare(b.created_at)],
  ])('pages in the order of %o', async (query, compare) => {
    const user = await newUser()
    await seedTasks(user.id, 61)
    const door = makeDoor(server.url, user.token)
    const all = (await readAllPages(door, { user_id: user.id, limit: 20, ...query })).flat()
    expect(all).toHaveLength(61)
    expect(new Set(all.map((t) => t.id)).size).toBe(61)
    const sorted = [...all].sort(
      (a, b) => compare(a, b) || (query.order === 'desc' ? -1 : 1) * a.id.localeCompare(b.id),
    )
    expect(all.map((t) => t.title)).toEqual(sorted.map((t) => t.title))
  })

  it('has no next page when the tasks fit exactly', async () => {
    const user = await newUser()
    await seedTasks(user.id, 10)
    const page = await makeDoor(server.url, user.token).page({ user_id: user.id, limit: 10 })
    expect(page.data).toMatchObject({ next_cursor: null })
    expect(page.data?.items).toHaveLength(10)
  })
})

describe('the Link header of GET /api/{user_id}/tasks', () => {
  const server = useServer()

  it('points at the next page of the same query, and is absent on the last page', async () => {
    const user = await newUser()
    await seedTasks(user.id, 5)
    const first = await request(server.url, 'GET', `/api/${user.id}/tasks?limit=3&completed=false&sort=title`, {
      token: user.token,
    })
    const link = first.headers.get('link')
    expect(link).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/api\/[^>]+>; rel="next"$/)
    const next = new URL(/<([^>]+)>/.exec(link!)![1]!)
    expect(Object.fromEntries(next.searchParams)).toMatchObject({ limit: '3', completed: 'false', sort: 'title' })
    const second = await request(server.url, 'GET', next.pathname + next.search, { token: user.token })
    expect(second.body.map((t: Task) => t.title)).toEqual(['task 003', 'task 004'])
    expect(second.headers.get('link')).toBeNull()
  })

  it('names the public address behind a trusted proxy', async () => {
    const behindProxy = await startServer({ TRUST_PROXY: '127.0.0.1' })
    try {
      const user = await newUser()
      await seedTasks(user.id, 2)
      const response = await request(behindProxy.url, 'GET', `/api/${user.id}/tasks?limit=1`, {
        token: user.token,
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' },
      })
      expect(response.headers.get('link')).toMatch(
        new RegExp(`^<https://api\\.example\\.com/api/${user.id}/tasks\\?limit=1&cursor=`),
      )
    } finally {
      await behindProxy.app.close()
    }
  })

  it('defaults to 100 tasks a page', async () => {
    const user = await newUser()
    await seedTasks(user.id, 101)
    const first = await request(server.url, 'GET', `/api/${user.id}/tasks`, { token: user.token })
    expect(first.body).toHaveLength(100)
    expect(first.headers.get('link')).toContain('rel="next"')
  })
})
