import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { doors, ISO_UTC } from '../setup/doors.js'
import { useServer } from '../setup/server.js'

describe.each(doors)('tasks at the %s door', (name, makeDoor) => {
  const server = useServer()
  const created = name === 'rest' ? 201 : 200
  const deleted = name === 'rest' ? 204 : 200

  async function setup() {
    const user = await newUser()
    return { user, door: makeDoor(server.url, user.token) }
  }

  describe('create', () => {
    it('returns the new task with every field of the contract', async () => {
      const { user, door } = await setup()
      const before = Date.now()
      const result = await door.create({ user_id: user.id, title: 'Buy milk', description: 'Two litres' })
      expect(result.status).toBe(created)
      const task = result.data!
      expect(task).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        user_id: user.id,
        title: 'Buy milk',
        description: 'Two litres',
        completed: false,
        completed_at: null,
        created_at: expect.stringMatching(ISO_UTC),
        updated_at: task.created_at,
        due: null,
        priority: 0,
        labels: [],
        position: null,
        version: 1,
      })
      expect(Date.parse(task.created_at)).toBeGreaterThanOrEqual(before - 1000)
    })

    it('stores the title trimmed and the description exactly', async () => {
      const { user, door } = await setup()
      const description = '  line one\r\n\tline two  '
      const { data } = await door.create({ user_id: user.id, title: ' \u00a0 Padded  title \u3000', description })
      expect(data?.title).toBe('Padded  title')
      expect(data?.description).toBe(description)
      const fetched = await door.get({ user_id: user.id, id: data!.id })
      expect(fetched.data).toEqual(data)
    })

    it('defaults the description to null', async () => {
      const { user, door } = await setup()
      const { data } = await door.create({ user_id: user.id, title: 'No description' })
      expect(data?.description).toBeNull()
    })

    it('neither stores nor echoes unknown fields', async () => {
      const { user, door } = await setup()
      const { data } = await door.create({
        user_id: user.id,
        title: 'Plain',
        completed: true,
        owner: 'someone else',
        created_at: '2000-01-01T00:00:00.000Z',
      })
      expect(data).not.toHaveProperty('owner')
      expect(data?.completed).toBe(false)
      expect(data?.created_at).not.toBe('2000-01-01T00:00:00.000Z')
      const fetched = await door.get({ user_id: user.id, id: data!.id })
      expect(fetched.data).toEqual(data)
    })
  })

  describe('get', () => {
    it('returns the task', async () => {
      const { user, door } = await setup()
      const { data: task } = await door.create({ user_id: user.id, title: 'Read me' })
      const result = await door.get({ user_id: user.id, id: task!.id })
      expect(result).toEqual({ status: 200, data: task })
    })

    it('answers 404 NOT_FOUND for an unknown id', async () => {
      const { user, door } = await setup()
      const result = await door.get({ user_id: user.id, id: randomUUID() })
      expect(result).toMatchObject({ status: 404, code: 'NOT_FOUND' })
    })
  })

  describe('list', () => {
    it('returns an empty array for a new user', async () => {
      const { user, door } = await setup()
      expect(await door.list({ user_id: user.id })).toEqual({ status: 200, data: [] })
    })

    it('returns the tasks newest first', async () => {
      const { user, door } = await setup()
      const titles = ['first', 'second', 'third']
      for (const title of titles) await door.create({ user_id: user.id, title })
      const { data } = await door.list({ user_id: user.id })
      expect(data?.map((t) => t.title)).toEqual(['third', 'second', 'first'])
    })

    it('filters on completed', async () => {
      const { user, door } = await setup()
      const { data: done } = await door.create({ user_id: user.id, title: 'done' })
      await door.create({ user_id: user.id, title: 'pending' })
      await door.complete({ user_id: user.id, id: done!.id })
      const completed = await door.list({ user_id: user.id, completed: true })
      const pending = await door.list({ user_id: user.id, completed: false })
      expect(completed.data?.map((t) => t.title)).toEqual(['done'])
      expect(pending.data?.map((t) => t.title)).toEqual(['pending'])
    })

    it('sorts by title, ascending by default and descending on request', async () => {
      const { user, door } = await setup()
      for (const title of ['banana', 'cherry', 'apple']) await door.create({ user_id: user.id, title })
      const asc = await door.list({ user_id: user.id, sort: 'title' })
      const desc = await door.list({ user_id: user.id, sort: 'title', order: 'desc' })
      expect(asc.data?.map((t) => t.title)).toEqual(['apple', 'banana', 'cherry'])
      expect(desc.data?.map((t) => t.title)).toEqual(['cherry', 'banana', 'apple'])
    })

    it('sorts by updated_at and oldest first on request', async () => {
      const { user, door } = await setup()
      const ids: string[] = []
      for (const title of ['a', 'b', 'c']) ids.push((await door.create({ user_id: user.id, title })).data!.id)
      await door.update({ user_id: user.id, id: ids[0], title: 'a, edited' })
      const byUpdate = await door.list({ user_id: user.id, sort: 'updated_at' })
      const oldest = await door.list({ user_id: user.id, order: 'asc' })
      expect(byUpdate.data?.map((t) => t.title)).toEqual(['a, edited', 'c', 'b'])
      expect(oldest.data?.map((t) => t.title)).toEqual(['a, edited', 'b', 'c'])
    })

    it('honours limit', async () => {
      const { user, door } = await setup()
      for (const title of ['1', '2', '3']) await door.create({ user_id: user.id, title })
      const { data } = await door.list({ user_id: user.id, limit: 2 })
      expect(data?.map((t) => t.title)).toEqual(['3', '2'])
    })
  })

  describe('update', () => {
    it('changes only the fields given and moves updated_at', async () => {
      const { user, door } = await setup()
      const { data: task } = await door.create({ user_id: user.id, title: 'Old', description: 'keep me' })
      const result = await door.update({ user_id: user.id, id: task!.id, title: '  New  ' })
      expect(result.status).toBe(200)
      expect(result.data).toMatchObject({ id: task!.id, title: 'New', description: 'keep me', completed: false })
      expect(Date.parse(result.data!.updated_at)).toBeGreaterThanOrEqual(Date.parse(task!.updated_at))
      expect(result.data!.created_at).toBe(task!.created_at)
    })

    it('clears the description with null', async () => {
      const { user, door } = await setup()
      const { data: task } = await door.create({ user_id: user.id, title: 'T', description: 'gone soon' })
      const result = await door.update({ user_id: user.id, id: task!.id, description: null })
      expect(result.data).toMatchObject({ title: 'T', description: null })
    })

    it('sets completed and completed_at together, both ways', async () => {
      const { user, door } = await setup()
      const { data: task } = await door.create({ user_id: user.id, title: 'T' })
      const done = await door.update({ user_id: user.id, id: task!.id, completed: true })
      expect(done.data).toMatchObject({ completed: true, completed_at: expect.stringMatching(ISO_UTC) })
      const reopened = await door.update({ user_id: user.id, id: task!.id, completed: false })
      expect(reopened.data).toMatchObject({ completed: false, completed_at: null })
    })

    it('refuses an update with no field (400) and leaves the task alone', async () => {
      const { user, door } = await setup()
      const { data: task } = await door.create({ user_id: user.id, title: 'T' })
      const result = await door.update({ user_id: user.id, id: task!.id })
      expect(result).toMatchObject({ status: 400, code: 'BAD_REQUEST' })
      expect((await door.get({ user_id: user.id, id: task!.id })).data).toEqual(task)
    })

    it('answers 404 for an unknown id', async () => {
      const { user, door } = await setup()
      const result = await door.update({ user_id: user.id, id: randomUUID(), title: 'x' })
      expect(result).toMatchObject({ status: 404, code: 'NOT_FOUND' })
    })
  })

  describe('delete', () => {
    it('deletes the task, then it is gone', async () => {
      const { user, door } = await setup()
      const { data: task } = await door.create({ user_id: user.id, title: 'Bye' })
      const result = await door.remove({ user_id: user.id, id: task!.id })
      expect(result.status).toBe(deleted)
      expect(result.data).toBeUndefined()
      expect(await door.get({ user_id: user.id, id: task!.id })).toMatchObject({ status: 404 })
      expect(await door.remove({ user_id: user.id, id: task!.id })).toMatchObject({ status: 404, code: 'NOT_FOUND' })
    })
  })

  describe('complete', () => {
    it('toggles with no completed field, both ways', async () => {
      const { user, door } = await setup()
      const { data: task } = await door.create({ user_id: user.id, title: 'Toggle me' })
      const on = await door.complete({ user_id: user.id, id: task!.id })
      expect(on).toMatchObject({ status: 200, data: { completed: true, completed_at: expect.stringMatching(ISO_UTC) } })
      const off = await door.complete({ user_id: user.id, id: task!.id })
      expect(off).toMatchObject({ status: 200, data: { completed: false, completed_at: null } })
    })

    it('sets completed when given, so a retry is harmless', async () => {
      const { user, door } = await setup()
      const { data: task } = await door.create({ user_id: user.id, title: 'Set me' })
      const first = await door.complete({ user_id: user.id, id: task!.id, completed: true })
      const retry = await door.complete({ user_id: user.id, id: task!.id, completed: true })
      expect(retry.data).toMatchObject({ completed: true, completed_at: first.data!.completed_at })
      const undone = await door.complete({ user_id: user.id, id: task!.id, completed: false })
      expect(undone.data).toMatchObject({ completed: false, completed_at: null })
    })

    it('answers 404 for an unknown id', async () => {
      const { user, door } = await setup()
      expect(await door.complete({ user_id: user.id, id: randomUUID() })).toMatchObject({ status: 404 })
    })
  })
})
