import type { TRPCError } from '@trpc/server'
import { HashingBusyError } from '../auth/password.js'
import { AuthError } from '../auth/verify-token.js'
import { CursorExpired } from './error-shape.js'
import { RateLimitError } from './rate-limit.js'

/**
 * What errors call for beyond their body, at both doors: the bearer challenge of a 401
 * (RFC 6750), the `Retry-After` of a 429 or a busy 503, and the status of the one code
 * tRPC does not have (410 `CURSOR_EXPIRED`, when the call is not part of a batch).
 */
export function errorResponseMeta(
  errors: readonly TRPCError[],
  calls: number,
): { headers: Record<string, string>; status?: number } {
  const headers = errorHeaders(errors)
  const expired = calls === 1 && errors.some((error) => error.cause instanceof CursorExpired)
  return expired ? { headers, status: 410 } : { headers }
}

function errorHeaders(errors: readonly TRPCError[]): Record<string, string> {
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
    if (cause instanceof HashingBusyError) headers['retry-after'] = '1'
  }
  return headers
}
