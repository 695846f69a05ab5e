/** Helpers that read errors from `pg` and PGlite. */

/**
 * No connection to the database could be had: whatever the reason (refused, too many
 * connections, connections not allowed now, a timeout), the database is unavailable (503).
 */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError'
}

interface DatabaseError {
  code?: unknown
  message?: unknown
}

// Connection exceptions (class 08), shutdowns, too many connections, read-only failover.
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3]|53300|25006)/
const UNAVAILABLE_NODE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
])
const UNAVAILABLE_MESSAGE =
  /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|PGlite is closed|Cannot use a pool after calling end/i

/** True when the error means the database cannot be reached now (a 503), not a bad query. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof DatabaseUnavailableError) return true
    const { code, message } = e as DatabaseError
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NODE.has(code))) return true
    if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true
    if (e instanceof AggregateError && e.errors.some(isDatabaseUnavailable)) return true
  }
  return false
}

/** True for a unique-constraint violation (SQLSTATE 23505), optionally of one constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: unknown; constraint?: unknown } | null
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint)
}
