/**
 * Bearer tokens for the API, kept per user: a token is only ever handed out for the user whose
 * id is asked for, and only if its `sub` says it is that user's. So after A signs out and B
 * signs in in the same tab, no call for B can carry A's token, even with A's still cached or on
 * its way. No dependency, so that it can be tested on its own.
 */
export interface TokenStore {
  /** A token of `userId`: the cached one while it has a minute left, else a fresh one; null if none. */
  get(userId: string): Promise<string | null>
  /** Drops `userId`'s token (the API refused it). */
  forget(userId: string): void
  /** Drops every token, and any answer still on its way (sign-out, sign-in). */
  clear(): void
}

/** Refreshed this long before a token's `exp`. */
const EARLY_MS = 60_000

/** `fetchToken` asks the auth server for a token of the session the browser holds now. */
export function createTokenStore(fetchToken: () => Promise<string | null>, now = Date.now): TokenStore {
  const tokens = new Map<string, { token: string; until: number }>()
  const pending = new Map<string, Promise<string | null>>()
  let generation = 0

  async function fetchFor(userId: string): Promise<string | null> {
    const started = generation
    const token = await fetchToken()
    const claims = token ? readClaims(token) : undefined
    // The session may be another user's by now (signed in again in another tab): not this one's token.
    if (!token || claims?.sub !== userId) return null
    if (started === generation && typeof claims.exp === 'number') {
      tokens.set(userId, { token, until: claims.exp * 1000 - EARLY_MS })
    }
    return token
  }

  return {
    get(userId) {
      const cached = tokens.get(userId)
      if (cached && cached.until > now()) return Promise.resolve(cached.token)
      let request = pending.get(userId)
      if (!request) {
        request = fetchFor(userId).finally(() => pending.delete(userId))
        pending.set(userId, request)
      }
      return request
    },
    forget(userId) {
      tokens.delete(userId)
    },
    clear() {
      generation++
      tokens.clear()
      pending.clear()
    },
  }
}

/** The claims of a JWT, read without checking it (the API does): only to key the cache. */
function readClaims(token: string): { sub?: unknown; exp?: unknown } | undefined {
  try {
    const base64 = (token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')
    const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))
    return JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    return undefined
  }
}
