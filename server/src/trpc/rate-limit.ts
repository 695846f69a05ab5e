/** Refused by the rate limiter: try again after `retryAfterSeconds`. */
export class RateLimitError extends Error {
  override name = 'RateLimitError'
  constructor(readonly retryAfterSeconds: number) {
    super(`Rate limit exceeded; retry after ${retryAfterSeconds} s`)
  }
}

/**
 * Fixed one-minute windows shared by every caller: when a window ends the whole table is
 * dropped, so memory is bounded by the callers of one minute and no sweeping is needed.
 * A window opens with the first request after the previous one closed.
 */
export function createRateLimiter(perMinute: number, now: () => number = Date.now) {
  const counts = new Map<string, number>()
  let windowEnd = 0
  return {
    /** Counts one request of `key`; throws `RateLimitError` past the limit. */
    take(key: string): void {
      const t = now()
      if (t >= windowEnd) {
        counts.clear()
        windowEnd = t + 60_000
      }
      const count = (counts.get(key) ?? 0) + 1
      counts.set(key, count)
      if (count > perMinute) throw new RateLimitError(Math.max(1, Math.ceil((windowEnd - t) / 1000)))
    },
  }
}
export type RateLimiter = ReturnType<typeof createRateLimiter>
