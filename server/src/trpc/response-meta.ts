import type { TRPCError } from '@trpc/server'
import { AuthError } from '../auth/verify-token.js'
import { RateLimitError } from './rate-limit.js'

/**
 * Headers that errors call for: the bearer challenge of a 401 (RFC 6750) and the
 * `Retry-After` of a 429. Shared by both doors.
 */
export function errorHeaders(errors: readonly TRPCError[]): Record<string, string> {
  const headers: Record<string, string> = {}
  for (const error of errors) {
    const cause = error.cause
    if (error.code === 'UNAUTHORIZED') {
      headers['www-authenticate'] =
        cause instanceof AuthError && cause.reason === 'invalid'
          ? `Bearer error="invalid_token", error_description="${cause.message}"`
          : 'Bearer'
    }
    if (cause instanceof RateLimitError) headers['retry-after'] = String(cause.retryAfterSeconds)
  }
  return headers
}
