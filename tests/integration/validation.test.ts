import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { type Door, doors } from '../setup/doors.js'
import { useServer } from '../setup/server.js'

const long = (n: number, unit = 'a') => unit.repeat(n)

describe.each(doors)('validation at the %s door', (_name, makeDoor) => {
  const server = useServer()

  async function setup(): Promise<{ userId: string; door: Door; taskId: string }> {
    const user = await newUser()
    const door = makeDoor(server.url, user.token)
    const task = await door.create({ user_id: user.id, title: 'Original', description: 'Untouched' })
    return { userId: user.id, door, taskId: task.data!.id }
  }

  async function expectInvalid(result: Promise<{ status: number; code?: string; issues?: unknown }>, field: string) {
    const outcome = await result
    expect(outcome).toMatchObject({ status: 400, code: 'BAD_REQUEST' })
    expect(outcome.issues).toEqual(expect.arrayContaining([expect.objectContaining({ path: [field] })]))
  }

  describe('title on create', () => {
    it.each([
      ['missing', undefined],
      ['empty', ''],
      ['only whitespace', ' \t '.replace('\t', ' ')],
      ['201 characters', long(201)],
      ['201 emoji (402 UTF-16 units)', long(201, '😀')],
      ['a NUL byte', 'a\u0000b'],
      ['a line feed', 'two\nlines'],
      ['a tab', 'tab\there'],
      ['DEL', 'x\u007f'],
      ['a C1 control', 'x\u0085y'],
      ['a lone surrogate', 'x\ud800y'],
      ['a number', 42],
      ['null', null],
      ['an array', ['a']],
      ['an object', { text: 'a' }],
    ])('refuses a title that is %s', async (_, title) => {
      const { userId, door } = await setup()
      await expectInvalid(door.create({ user_id: userId, title }), 'title')
    })

    it.each([
      ['200 characters', long(200)],
      ['200 emoji', long(200, '😀')],
      ['200 characters once trimmed', `   ${long(200)}   `],
    ])('accepts a title of %s', async (_, title) => {
      const { userId, door } = await setup()
      const result = await door.create({ user_id: userId, title })
      expect(result.data?.title).toBe(title.trim())
    })
  })

  describe('description', () => {
    it.each([
      ['1001 characters', long(1001)],
      ['a NUL byte', 'a\u0000b'],
      ['a vertical tab', 'a\u000bb'],
      ['an escape', 'a\u001b[31mred'],
      ['a lone surrogate', '\udc00'],
      ['a number', 7],
      ['a boolean', true],
    ])('refuses %s', async (_, description) => {
      const { userId, door } = await setup()
      await expectInvalid(door.create({ user_id: userId, title: 't', description }), 'description')
    })

    it('accepts 1000 characters with tabs and line breaks, as sent', async () => {
      const { userId, door } = await setup()
      const description = `${long(996)}\t\r\n `
      const result = await door.create({ user_id: userId, title: 't', description })
      expect(result.data?.description).toBe(description)
    })
  })

  it('round-trips any other Unicode text exactly, unnormalised', async () => {
    const { userId, door } = await setup()
    const title = 'e\u0301 é Ünïcødé 漢字 עברית 👩‍👩‍👧 \u200b\ufeff end'
    const description = 'ﬁ ligature, Å (U+212B) and Å (U+00C5), \u{1f600}, 🏳️‍🌈'
    const created = await door.create({ user_id: userId, title, description })
    expect(created.data).toMatchObject({ title, description })
    const fetched = await door.get({ user_id: userId, id: created.data!.id })
    expect(fetched.data).toMatchObject({ title, description })
  })

  describe('update', () => {
    it.each([
      ['completed as the string "false"', { completed: 'false' }, 'completed'],
      ['completed as the string "true"', { completed: 'true' }, 'completed'],
      ['completed as 1', { completed: 1 }, 'completed'],
      ['completed as null', { completed: null }, 'completed'],
      ['a null title', { title: null }, 'title'],
      ['an empty title', { title: '  ' }, 'title'],
      ['a title with a NUL byte', { title: '\u0000' }, 'title'],
      ['a 1001-character description', { description: long(1001) }, 'description'],
    ])('refuses %s and changes nothing', async (_, patch, field) => {
      const { userId, door, taskId } = await setup()
      const before = await door.get({ user_id: userId, id: taskId })
      await expectInvalid(door.update({ user_id: userId, id: taskId, ...patch }), field)
      expect(await door.get({ user_id: userId, id: taskId })).toEqual(before)
    })

    it('refuses a task id that is not a uuid', async () => {
      const { userId, door } = await setup()
      await expectInvalid(door.update({ user_id: userId, id: 'not-a-uuid', title: 'x' }), 'id')
    })
  })

  describe('complete', () => {
    it.each([
      ['the string "true"', 'true'],
      ['the string "false"', 'false'],
      ['0', 0],
      ['null', null],
    ])('refuses completed as %s and changes nothing', async (_, completed) => {
      const { userId, door, taskId } = await setup()
      await expectInvalid(door.complete({ user_id: userId, id: taskId, completed }), 'completed')
      expect((await door.get({ user_id: userId, id: taskId })).data?.completed).toBe(false)
    })
  })

  describe('get and delete', () => {
    it('refuses a task id that is not a uuid', async () => {
      const { userId, door } = await setup()
      await expectInvalid(door.get({ user_id: userId, id: 'abc' }), 'id')
      await expectInvalid(door.remove({ user_id: userId, id: `${randomUUID()}x` }), 'id')
    })
  })

  describe('list', () => {
    it.each([
      ['limit 0', { limit: 0 }, 'limit'],
      ['limit 501', { limit: 501 }, 'limit'],
      ['limit -1', { limit: -1 }, 'limit'],
      ['limit 1.5', { limit: 1.5 }, 'limit'],
      ['limit abc', { limit: 'abc' }, 'limit'],
      ['sort bogus', { sort: 'importance' }, 'sort'],
      ['order up', { order: 'up' }, 'order'],
      ['completed yes', { completed: 'yes' }, 'completed'],
      ['a cursor that is not one', { cursor: 'bm90IGEgY3Vyc29y' }, 'cursor'],
    ])('refuses %s', async (_, query, field) => {
      const { userId, door } = await setup()
      await expectInvalid(door.list({ user_id: userId, ...query }), field)
    })

    it('refuses a cursor of another sort', async () => {
      const { userId, door } = await setup()
      await door.create({ user_id: userId, title: 'second' })
      const page = await door.page({ user_id: userId, limit: 1 })
      const cursor = page.data?.next_cursor
      expect(cursor).toEqual(expect.any(String))
      await expectInvalid(door.list({ user_id: userId, sort: 'title', cursor }), 'cursor')
    })

    it('accepts limit 500', async () => {
      const { userId, door } = await setup()
      expect((await door.list({ user_id: userId, limit: 500 })).status).toBe(200)
    })
  })
})
