import { type SortOrder, type TaskSort, TITLE_MAX, text } from '@todo/contracts'
import type { TaskKey } from '../../db/queries/tasks.js'

const TitleSchema = text({ min: 1, max: TITLE_MAX })
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * A cursor names the sort it belongs to and the last task seen. It is opaque to clients
 * but not secret: it only ever selects among the caller's own tasks.
 */
export function encodeCursor(key: TaskKey, sort: TaskSort, order: SortOrder): string {
  return Buffer.from(JSON.stringify([sort, order, key.value, key.id])).toString('base64url')
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
  if (typeof value !== 'string' || typeof id !== 'string' || !UUID.test(id)) return null
  const valid = sort === 'title' ? TitleSchema.safeParse(value).success : !Number.isNaN(Date.parse(value))
  if (!valid) return null
  return { value, id }
}
