import { cacheVerifiedTokens } from '@todo/server'
import { describe, expect, it } from 'vitest'

/** A token-shaped header whose payload carries `exp` (seconds); the signature is not checked here. */
function bearer(sub: string, exp?: number): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `Bearer ${part({ alg: 'HS256' })}.${part({ sub, ...(exp !== undefined && { exp }) })}.signature`
}

function counting(refuse = false) {
  const calls: (string | undefined)[] = []
  const authenticate = async (authorization: string | undefined) => {
    calls.push(authorization)
    if (refuse) throw new Error('refused')
    return { id: `user-of-${calls.length}` }
  }
  return { calls, authenticate }
}

describe('cacheVerifiedTokens', () => {
  it('verifies a token once and answers repeats from memory', async () => {
    const { calls, authenticate } = counting()
    const cached = cacheVerifiedTokens(authenticate, { now: () => 1_000_000 })
    const header = bearer('a', 2_000)
    const first = await cached(header)
    expect(await cached(header)).toBe(first)
    expect(calls).toHaveLength(1)
  })

  it('checks the token again after the time to live', async () => {
    let now = 1_000_000
    const { calls, authenticate } = counting()
    const cached = cacheVerifiedTokens(authenticate, { ttlMs: 60_000, now: () => now })
    const header = bearer('a', 10_000)
    await cached(header)
    now += 59_999
    await cached(header)
    expect(calls).toHaveLength(1)
    now += 1
    await cached(header)
    expect(calls).toHaveLength(2)
  })

  it('never trusts a token past its exp, however long the time to live', async () => {
    let now = 1_000_000
    const { calls, authenticate } = counting()
    const cached = cacheVerifiedTokens(authenticate, { ttlMs: 60_000, now: () => now })
    const header = bearer('a', 1_010) // expires 10 s from now
    await cached(header)
    now += 9_999
    await cached(header)
    expect(calls).toHaveLength(1)
    now += 1
    await cached(header)
    expect(calls).toHaveLength(2)
  })

  it('remembers no refusal', async () => {
    const { calls, authenticate } = counting(true)
    const cached = cacheVerifiedTokens(authenticate)
    await expect(cached(bearer('a'))).rejects.toThrow('refused')
    await expect(cached(bearer('a'))).rejects.toThrow('refused')
    await expect(cached(undefined)).rejects.toThrow('refused')
    expect(calls).toHaveLength(3)
  })

  it('forgets the oldest token past its size', async () => {
    const { calls, authenticate } = counting()
    const cached = cacheVerifiedTokens(authenticate, { maxEntries: 2, now: () => 0 })
    await cached(bearer('a'))
    await cached(bearer('b'))
    await cached(bearer('c'))
    await cached(bearer('c'))
    await cached(bearer('b'))
    expect(calls).toHaveLength(3)
    await cached(bearer('a'))
    expect(calls).toHaveLength(4)
  })
})
