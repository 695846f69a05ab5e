import type { Identity } from './identity.js'

/** `Authorization` header → identity; throws `AuthError` (see `createAuthenticator`). */
export type Authenticate = (authorization: string | undefined) => Promise<Identity>

export interface TokenCacheOptions {
  /** Longest time a verified token is trusted without checking it again. */
  ttlMs?: number
  /** Most tokens remembered; past it the oldest is forgotten. */
  maxEntries?: number
  now?: () => number
}

/**
 * Remembers the identity of each token that verified, keyed by the whole `Authorization`
 * header, so a client that sends the same token again costs a lookup instead of a
 * signature check (an HS256 check through WebCrypto takes tens of µs and a thread-pool
 * round trip). An entry lasts until the token's `exp` or `ttlMs` (60 s), whichever comes
 * first, so a key withdrawn from a JWKS stops being honoured within a minute. Refusals are
 * never remembered: they are checked, and reported, every time.
 */
export function cacheVerifiedTokens(authenticate: Authenticate, opts: TokenCacheOptions = {}): Authenticate {
  const { ttlMs = 60_000, maxEntries = 10_000, now = Date.now } = opts
  const entries = new Map<string, { identity: Identity; until: number }>()
  return async (authorization) => {
    if (authorization === undefined) return authenticate(authorization)
    const hit = entries.get(authorization)
    if (hit) {
      if (hit.until > now()) return hit.identity
      entries.delete(authorization)
    }
    const identity = Object.freeze(await authenticate(authorization))
    const t = now()
    const until = Math.min(t + ttlMs, expiryMs(authorization) ?? Number.POSITIVE_INFINITY)
    if (until > t) {
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string)
      entries.set(authorization, { identity, until })
    }
    return identity
  }
}

/** `exp` of a token that has just verified, in ms; undefined when it has none. */
function expiryMs(authorization: string): number | undefined {
  const payload = authorization.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }
    return typeof exp === 'number' ? exp * 1000 : undefined
  } catch {
    return undefined
  }
}
