import { isoFromPostgres } from '@todo/server'
import { describe, expect, it } from 'vitest'
import { testDatabase } from '../setup/database.js'

describe('isoFromPostgres', () => {
  it.each([
    ['2026-01-03 10:30:00+00', '2026-01-03T10:30:00.000Z'],
    ['2026-01-03 10:30:00.5+00', '2026-01-03T10:30:00.500Z'],
    ['2026-01-03 10:30:00.25+00', '2026-01-03T10:30:00.250Z'],
    ['2026-01-03 10:30:00.123+00', '2026-01-03T10:30:00.123Z'],
    ['2026-01-03 10:30:00.123456+00', '2026-01-03T10:30:00.123Z'],
    ['2026-01-03 16:00:00.5+05:30', '2026-01-03T10:30:00.500Z'],
    ['2026-01-03 02:30:00-08', '2026-01-03T10:30:00.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(isoFromPostgres(text)).toBe(iso)
  })

  it('reads what this database sends, as the same instant', async () => {
    const { db } = await testDatabase()
    const { rows } = await db.executeQuery<{ t: string }>({
      sql: "select '2026-02-28T23:59:59.5Z'::timestamptz(3) as t",
      parameters: [],
      query: { kind: 'RawNode' } as never,
      queryId: { queryId: 'timestamps' },
    })
    expect(rows[0]?.t).toBe('2026-02-28T23:59:59.500Z')
  })
})
