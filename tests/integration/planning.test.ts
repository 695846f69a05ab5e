// Tasks people plan with: due dates, priority, labels, manual order, search, the filters and
// sorts over them, bulk completion, clearing, counts, at both doors on the suite's database.
import { randomUUID } from 'node:crypto'
import type { Task } from '@todo/contracts'
import { describe, expect, it } from 'vitest'
import { newUser } from '../setup/auth.js'
import { doors } from '../setup/doors.js'
import { useServer } from '../setup/server.js'

describe.each(doors)('planning at the %s door', (name, makeDoor) => {
  const server = useServer()
  const setup = async () => {
    const user = await newUser()
    const door = makeDoor(server.url, user.token)
    const make = async (fields: Record<string, unknown>) => {
      const outcome = await door.create({ user_id: user.id, title: 'task', ...fields })
      if (!outcome.data) throw new Error(`create failed: ${JSON.stringify(outcome)}`)
      return outcome.data
    }
    const titles = async (query: Record<string, unknown>) => {
      const outcome = await door.list({ user_id: user.id, ...query })
      if (!outcome.data) throw new Error(`list failed: ${JSON.stringify(outcome)}`)
      return outcome.data.map((task) => task.title)
    }
    return { user, door, make, titles }
  }

  it('keeps due, priority, labels and position, with defaults that change nothing for old clients', async () => {
    const { user, door, make } = await setup()
    const plain = await make({ title: 'plain' })
    expect(plain).toMatchObject({ due: null, priority: 0, labels: [], position: null })
    const planned = await make({
      title: 'planned',
      due: '2026-02-28',
      priority: 3,
      labels: ['Work', ' Café '],
      position: 'a0',
    })
    expect(planned).toMatchObject({ due: '2026-02-28', priority: 3, labels: ['Work', 'Café'], position: 'a0' })
    const updated = await door.update({ user_id: user.id, id: planned.id, due: null, labels: ['Home'], priority: 1 })
    expect(updated.data).toMatchObject({ due: null, labels: ['Home'], priority: 1, position: 'a0', version: 2 })
    const same = await door.update({ user_id: user.id, id: planned.id, labels: ['Home'], priority: 1 })
    expect(same.data?.version).toBe(2)
    expect((await door.get({ user_id: user.id, id: planned.id })).data).toEqual(updated.data)
  })

  it('keeps one of labels that differ only in accents, case or spaces, as first written', async () => {
    const { make } = await setup()
    const task = await make({ labels: ['Café', 'cafe', ' CAFÉ ', 'Deep  Work', 'deep work', 'x'] })
    expect(task.labels).toEqual(['Café', 'Deep  Work', 'x'])
  })

  it.each([
    ['an impossible date', { due: '2026-02-30' }, 'due'],
    ['a date without leading zeros', { due: '2026-2-3' }, 'due'],
    ['a date-time', { due: '2026-02-03T10:00:00Z' }, 'due'],
    ['priority 4', { priority: 4 }, 'priority'],
    ['priority -1', { priority: -1 }, 'priority'],
    ['priority "high"', { priority: 'high' }, 'priority'],
    ['21 labels', { labels: Array.from({ length: 21 }, (_, i) => `l${i}`) }, 'labels'],
    ['40 labels', { labels: Array.from({ length: 40 }, (_, i) => `l${i}`) }, 'labels'],
    ['a 500-character label', { labels: ['x'.repeat(500)] }, 'labels'],
    ['an empty label', { labels: ['  '] }, 'labels'],
    ['a control character in a label', { labels: ['bad\u0007'] }, 'labels'],
    ['labels not an array', { labels: 'work' }, 'labels'],
    ['a position with punctuation', { position: 'a-0' }, 'position'],
    ['a 65-character position', { position: 'a'.repeat(65) }, 'position'],
  ])('refuses %s with 400 naming the field', async (_, fields, field) => {
    const { user, door } = await setup()
    const outcome = await door.create({ user_id: user.id, title: 'bad', ...fields })
    expect(outcome).toMatchObject({ status: 400, code: 'BAD_REQUEST' })
    expect(outcome.issues?.[0]?.path[0]).toBe(field)
  })

  it('finds tasks by words and word starts, without case or accents, best first', async () => {
    const { make, titles } = await setup()
    await make({ title: 'Buy milk', description: 'oat milk, two litres' })
    await make({ title: 'Crème brûlée for Zoë' })
    await make({ title: 'Call mum', description: 'about the milkman' })
    await make({ title: 'Nothing here' })
    expect(await titles({ q: 'milk' })).toEqual(['Buy milk', 'Call mum'])
    expect(await titles({ q: 'MILK oat' })).toEqual(['Buy milk'])
    expect(await titles({ q: 'creme brul' })).toEqual(['Crème brûlée for Zoë'])
    expect(await titles({ q: 'zoe' })).toEqual(['Crème brûlée for Zoë'])
    expect(await titles({ q: 'mi', sort: 'title' })).toEqual(['Buy milk', 'Call mum'])
    expect(await titles({ q: 'tea' })).toEqual([])
  })

  it.each([
    '%',
    '_',
    "'",
    '"milk"',
    "milk' OR 1=1 --",
    "'); drop table tasks; --",
    ':* & | ! ( ) <->',
    '\\',
    'x'.repeat(10_000),
    '名前 🎉 ⚡',
    '   ',
  ])('is safe with the search %j', async (q) => {
    const { make, titles } = await setup()
    await make({ title: 'milk' })
    const found = await titles({ q })
    expect(Array.isArray(found)).toBe(true)
    // Every word must match: quotes are no words; `OR 1 1` are three more words, none found.
    if (q === '"milk"') expect(found).toEqual(['milk'])
    if (q.startsWith("milk'")) expect(found).toEqual([])
  })

  it('finds Unicode words', async () => {
    const { make, titles } = await setup()
    await make({ title: 'Réunion équipe Ελληνικά' })
    await make({ title: '東京 trip' })
    expect(await titles({ q: 'EQUIPE' })).toEqual(['Réunion équipe Ελληνικά'])
    expect(await titles({ q: 'ελλην' })).toEqual(['Réunion équipe Ελληνικά'])
    expect(await titles({ q: '東京' })).toEqual(['東京 trip'])
  })

  it('filters by labels (all of them), priority, due dates and completion, combined', async () => {
    const { user, door, make, titles } = await setup()
    await make({ title: 'a', labels: ['Work', 'Urgent'], priority: 3, due: '2026-03-01' })
    await make({ title: 'b', labels: ['work'], priority: 1, due: '2026-03-10' })
    const c = await make({ title: 'c', labels: ['Home'], priority: 3 })
    await door.complete({ user_id: user.id, id: c.id })
    expect(await titles({ label: ['WORK'], sort: 'title' })).toEqual(['a', 'b'])
    expect(await titles({ label: ['work', 'urgent'] })).toEqual(['a'])
    expect(await titles({ priority: 3, sort: 'title' })).toEqual(['a', 'c'])
    expect(await titles({ priority: 3, completed: false })).toEqual(['a'])
    expect(await titles({ due_after: '2026-03-02' })).toEqual(['b'])
    expect(await titles({ due_before: '2026-03-01' })).toEqual(['a'])
    expect(await titles({ due_after: '2026-03-01', due_before: '2026-03-10', sort: 'due' })).toEqual(['a', 'b'])
    expect(await titles({ label: ['nope'] })).toEqual([])
    expect((await door.list({ user_id: user.id, due_before: '2026-13-01' })).status).toBe(400)
    expect((await door.list({ user_id: user.id, priority: 9 })).status).toBe(400)
  })

  it('judges overdue in the time zone the client gives', async () => {
    const { user, door, make, titles } = await setup()
    const day = (offsetDays: number, zone: string) =>
      new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date(Date.now() + offsetDays * 86_400_000))
    // The last day that has begun on Earth (UTC+14) and the first (UTC-11) differ.
    const todayInKiritimati = day(0, 'Pacific/Kiritimati')
    const yesterdayInKiritimati = day(-1, 'Pacific/Kiritimati')
    await make({ title: 'due yesterday there', due: yesterdayInKiritimati })
    const done = await make({ title: 'done', due: '2020-01-01' })
    await door.complete({ user_id: user.id, id: done.id })
    await make({ title: 'due today there', due: todayInKiritimati })
    await make({ title: 'undated' })
    expect(await titles({ overdue: true, tz: 'Pacific/Kiritimati' })).toEqual(['due yesterday there'])
    expect(await titles({ overdue: false, tz: 'Pacific/Kiritimati', sort: 'title' })).toEqual([
      'done',
      'due today there',
      'undated',
    ])
    // Where it is still yesterday, yesterday's task there is due today here: not overdue.
    if (day(0, 'Pacific/Pago_Pago') === yesterdayInKiritimati) {
      expect(await titles({ overdue: true, tz: 'Pacific/Pago_Pago' })).toEqual([])
    }
    expect((await door.list({ user_id: user.id, overdue: true, tz: 'Mars/Olympus' })).status).toBe(400)
  })

  it('sorts by due date, priority and position, undated and unplaced last, ties by id', async () => {
    const { make, titles } = await setup()
    await make({ title: 'late', due: '2026-05-01', priority: 1, position: 'b' })
    await make({ title: 'soon', due: '2026-04-01', priority: 3, position: 'a' })
    await make({ title: 'undated', priority: 3 })
    await make({ title: 'also soon', due: '2026-04-01', position: 'aV' })
    const soon = (await titles({ sort: 'due' })).slice(0, 2).sort()
    expect(soon).toEqual(['also soon', 'soon'])
    expect((await titles({ sort: 'due' })).slice(2)).toEqual(['late', 'undated'])
    expect((await titles({ sort: 'due', order: 'desc' })).at(-1)).toBe('undated')
    expect((await titles({ sort: 'priority' })).slice(0, 2).sort()).toEqual(['soon', 'undated'])
    expect(await titles({ sort: 'position' })).toEqual(['soon', 'also soon', 'late', 'undated'])
    expect(await titles({ sort: 'position', order: 'desc' })).toEqual(['late', 'also soon', 'soon', 'undated'])
  })

  it.each([
    ['due', 'asc'],
    ['due', 'desc'],
    ['priority', 'desc'],
    ['priority', 'asc'],
    ['position', 'asc'],
    ['position', 'desc'],
    ['title', 'asc'],
    ['relevance', 'desc'],
  ])('pages through sort=%s order=%s with no task twice and none missed', async (sort, order) => {
    const { user, door, make } = await setup()
    const made: Task[] = []
    for (let i = 0; i < 13; i++) {
      made.push(
        await make({
          title: `milk ${i % 4}`,
          description: i % 3 ? 'milk milk' : null,
          ...(i % 3 && { due: `2026-04-0${1 + (i % 4)}` }),
          priority: i % 4,
          ...(i % 5 && { position: `a${i % 3}` }),
        }),
      )
    }
    await make({ title: 'no match' })
    const seen: string[] = []
    let cursor: string | undefined
    for (let pages = 0; pages < 20; pages++) {
      const page = (await door.page({ user_id: user.id, q: 'milk', sort, order, limit: 2, cursor })).data!
      seen.push(...page.items.map((task) => task.id))
      cursor = page.next_cursor ?? undefined
      if (!cursor) break
    }
    expect(seen).toHaveLength(13)
    expect(new Set(seen)).toEqual(new Set(made.map((task) => task.id)))
    if (name === 'rest') return
    // A cursor fits only its sort and order.
    const first = (await door.page({ user_id: user.id, q: 'milk', sort, order, limit: 2 })).data!
    const other = sort === 'title' ? 'due' : 'title'
    expect(
      (await door.page({ user_id: user.id, q: 'milk', sort: other, limit: 2, cursor: first.next_cursor })).status,
    ).toBe(400)
  })

  it('completes several tasks at once, all or nothing', async () => {
    const { user, door, make } = await setup()
    const a = await make({ title: 'a' })
    const b = await make({ title: 'b' })
    const theirs = await newUser()
    const other = (await makeDoor(server.url, theirs.token).create({ user_id: theirs.id, title: 'x' })).data!
    const refused = await door.completeMany({ user_id: user.id, ids: [a.id, other.id, b.id] })
    expect(refused).toMatchObject({ status: 404, code: 'NOT_FOUND' })
    expect(refused.message).toContain(other.id)
    expect((await door.get({ user_id: user.id, id: a.id })).data?.completed).toBe(false)
    const done = await door.completeMany({ user_id: user.id, ids: [b.id, a.id, b.id] })
    expect(done.data?.map((task) => [task.title, task.completed, task.version])).toEqual([
      ['b', true, 2],
      ['a', true, 2],
    ])
    const reopened = await door.completeMany({ user_id: user.id, ids: [a.id], completed: false })
    expect(reopened.data?.[0]).toMatchObject({ completed: false, completed_at: null })
    expect((await door.completeMany({ user_id: user.id, ids: [] })).status).toBe(400)
    const tooMany = Array.from({ length: 501 }, () => randomUUID())
    expect((await door.completeMany({ user_id: user.id, ids: tooMany })).status).toBe(400)
  })

  it('clears the completed tasks, and counts for the badges', async () => {
    const { user, door, make } = await setup()
    const a = await make({ title: 'a', labels: ['Work'], due: '2020-01-01' })
    const b = await make({ title: 'b', labels: ['work', 'Home'] })
    await make({ title: 'c', due: '2020-01-01' })
    await door.complete({ user_id: user.id, id: a.id })
    const stats = (await door.stats({ user_id: user.id, tz: 'Europe/Paris' })).data!
    expect(stats).toEqual({
      total: 3,
      completed: 1,
      overdue: 1,
      labels: [
        { label: 'Work', total: 2, completed: 1 },
        { label: 'Home', total: 1, completed: 0 },
      ],
    })
    const cleared = await door.clearCompleted({ user_id: user.id })
    expect(cleared.data).toEqual({ deleted: [a.id] })
    expect((await door.stats({ user_id: user.id })).data).toMatchObject({ total: 2, completed: 0 })
    expect((await door.get({ user_id: user.id, id: b.id })).status).toBe(200)
  })

  it('keeps search and counts to the caller', async () => {
    const { user, door, make, titles } = await setup()
    const other = await newUser()
    await makeDoor(server.url, other.token).create({ user_id: other.id, title: 'milk secret', labels: ['Secret'] })
    await make({ title: 'mine' })
    expect(await titles({ q: 'milk' })).toEqual([])
    expect(await titles({ label: ['secret'] })).toEqual([])
    expect((await door.stats({ user_id: user.id })).data).toEqual({ total: 1, completed: 0, overdue: 0, labels: [] })
    expect((await door.stats({ user_id: other.id })).status).toBe(403)
  })

  it('sends the new fields through the change feed', async () => {
    const { user, door, make } = await setup()
    const task = await make({ title: 'synced' })
    const { cursor } = (await door.changes({ user_id: user.id })).data!
    await door.update({
      user_id: user.id,
      id: task.id,
      labels: ['Sync'],
      due: '2026-06-01',
      priority: 2,
      position: 'm',
    })
    const [change] = (await door.changes({ user_id: user.id, since: cursor })).data!.changes
    expect(change?.task).toMatchObject({ labels: ['Sync'], due: '2026-06-01', priority: 2, position: 'm', version: 2 })
  })
})
