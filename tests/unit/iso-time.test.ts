import { isoTime } from '@todo/server'
import { describe, expect, it } from 'vitest'

describe('isoTime', () => {
  it('formats exactly as toISOString', () => {
    const edges = [
      0, -1, 1, 999, 86_399_999, 86_400_000, 951_782_400_000, 951_868_799_999, 951_868_800_000, 1_709_164_800_000,
      4_107_542_399_999, 253_402_300_799_999, 253_402_300_800_000, -30_610_224_000_000, -30_610_224_000_001,
      -62_135_596_800_000, 8.64e15, -8.64e15,
    ]
    let seed = 7
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648
      return seed / 2_147_483_648
    }
    const samples = Array.from({ length: 100_000 }, () => Math.floor((random() - 0.3) * 4e14))
    for (const t of [...edges, ...samples]) {
      const date = new Date(t)
      expect(isoTime(date)).toBe(date.toISOString())
    }
  })

  it('throws on an invalid date, as toISOString does', () => {
    expect(() => isoTime(new Date(Number.NaN))).toThrow(RangeError)
  })
})
