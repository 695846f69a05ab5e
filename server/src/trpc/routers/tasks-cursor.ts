import { createHash } from 'node:crypto'
import { type SortOrder, type TaskSort, TITLE_MAX, text } from '@todo/contracts'
import type { TaskKey } from '../../db/queries/tasks.js'
import { cursorExpired, inputError } from '../error-shape.js'

const TitleSchema = text({ min: 1, max: TITLE_MAX })
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * A cursor names the sort it belongs to and the last task seen. It is opaque to clients
 * but not secret: it only ever selects among the caller's own tasks.
 */
export function encodeCursor(key: TaskKey, sort: TaskSort, order: SortOrder): string {
  return Buffer.from(JSON.stringify([sort, order, key.value, key.id])).toString('base64url')
}

/** Whether a cursor's value can be a key of this sort (what `keyOf` makes of a task). */
function isKeyOf(sort: TaskSort, value: unknown): boolean {
  switch (sort) {
    case 'title':
      return TitleSchema.safeParse(value).success
    case 'created_at':
    case 'updated_at':
      return typeof value === 'string' && !Number.isNaN(Date.parse(value))
    case 'due':
      return typeof value === 'string' && /^(\d{4}-\d{2}-\d{2}|-?infinity)$/.test(value)
    case 'position':
      return typeof value === 'string' && /^([0-9A-Za-z]{1,64}|~|)$/.test(value)
    case 'priority':
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 3
    case 'relevance':
      return typeof value === 'number' && Number.isFinite(value)
  }
}

/** The key a cursor points after, or `null` when it is not a cursor of this sort and order. */
export function decodeCursor(cursor: string, sort: TaskSort, order: SortOrder): TaskKey | null {
  let parts: unknown
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    return null
  }
  if (!Array.isArray(parts) || parts.length !== 4 || parts[0] !== sort || parts[1] !== order) return null
  const [, , value, id] = parts
  if (typeof id !== 'string' || !UUID.test(id) || !isKeyOf(sort, value)) return null
  return { value: value as string | number, id }
}

/** Which user a change cursor belongs to, without naming them: 8 bytes of a hash of the id. */
function userTag(userId: string): string {
  return createHash('sha256').update(userId).digest('base64url').slice(0, 11)
}

/** A place in a user's change feed, and when the server handed it out. */
export interface ChangeCursor {
  /** The feed position (a bigint, as a decimal string). */
  seq: string
  /** When it was handed out (ms since the epoch): past the retention of deletions, it has expired. */
  issuedAt: number
}

/** `["c", user tag, seq, issued at]`, base64url: opaque, and not mistaken for a list cursor. */
export function encodeChangeCursor(userId: string, seq: string, issuedAt = Date.now()): string {
  return Buffer.from(JSON.stringify(['c', userTag(userId), seq, issuedAt])).toString('base64url')
}

/** The feed position of a cursor of this user's feed, or `null` when it is not one. */
export function decodeChangeCursor(cursor: string, userId: string): ChangeCursor | null {
  let parts: unknown
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    return null
  }
  if (!Array.isArray(parts) || parts.length !== 4 || parts[0] !== 'c' || parts[1] !== userTag(userId)) return null
  const [, , seq, issuedAt] = parts
  if (typeof seq !== 'string' || !/^(0|[1-9]\d{0,18})$/.test(seq)) return null
  if (typeof issuedAt !== 'number' || !Number.isSafeInteger(issuedAt) || issuedAt < 0) return null
  return { seq, issuedAt }
}

/**
 * The feed position of a cursor the client gave (`since`, `lastEventId`): 400 when it is not a
 * cursor of this user's feed, 410 `CURSOR_EXPIRED` when it is older than the deletions kept.
 */
export function feedPosition(
  ctx: { user: { id: string }; syncRetentionSeconds: number },
  cursor: string,
  field: string,
): string {
  const decoded = decodeChangeCursor(cursor, ctx.user.id)
  if (decoded === null) throw inputError([field], 'Not a cursor of this user’s change feed')
  if (Date.now() - decoded.issuedAt > ctx.syncRetentionSeconds * 1000) throw cursorExpired()
  return decoded.seq
}
