import { describe, expect, it } from 'vitest'
import { newUser, newUserId, tokenFor } from '../setup/auth.js'
import { testDatabase } from '../setup/database.js'
import { doors } from '../setup/doors.js'
import { useServer } from '../setup/server.js'

describe.each(doors)('concurrent writes at the %s door', (_name, makeDoor) => {
  const server = useServer()

  it('keeps all of 50 parallel creates', async () => {
    const user = await newUser()
    const door = makeDoor(server.url, user.token)
    const titles = Array.from({ length: 50 }, (_, i) => `task ${i}`)
    const outcomes = await Promise.all(titles.map((title) => door.create({ user_id: user.id, title })))
    expect(outcomes.every((o) => o.status < 300)).toBe(true)
    expect(new Set(outcomes.map((o) => o.data?.id)).size).toBe(50)
    const listed = await door.list({ user_id: user.id })
    expect(listed.data?.map((t) => t.title).sort()).toEqual([...titles].sort())
  })

  it('loses none of 21 parallel toggles: the task ends completed', async () => {
    const user = await newUser()
    const door = makeDoor(server.url, user.token)
    const task = (await door.create({ user_id: user.id, title: 'flip me' })).data!
    const outcomes = await Promise.all(
      Array.from({ length: 21 }, () => door.complete({ user_id: user.id, id: task.id })),
    )
    expect(outcomes.map((o) => o.status)).toEqual(Array(21).fill(200))
    // Each toggle saw a different state: 11 left it completed, 10 reopened it.
    expect(outcomes.filter((o) => o.data?.completed).length).toBe(11)
    const final = (await door.get({ user_id: user.id, id: task.id })).data
    expect(final).toMatchObject({ completed: true, completed_at: expect.any(String) })
  })

  it('provisions a new user once under 20 concurrent first requests', async () => {
    const userId = newUserId()
    const door = makeDoor(server.url, await tokenFor(userId, { claims: { email: 'race@example.com' } }))
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => door.create({ user_id: userId, title: `first ${i}` })),
    )
    expect(outcomes.every((o) => o.status < 300)).toBe(true)
    const { db } = await testDatabase()
    const users = await db.selectFrom('users').select('email').where('id', '=', userId).execute()
    expect(users).toEqual([{ email: 'race@example.com' }])
    expect((await door.list({ user_id: userId })).data).toHaveLength(20)
  })
})
