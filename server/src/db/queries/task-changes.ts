import type { Change, Task } from '@todo/contracts'
import { type Kysely, sql } from 'kysely'
import type { DB } from '../schema.js'
import { ISO_8601 } from './tasks.js'

/**
 * The doorbell of live events: every server listens on it; a notification says "<user id>
 * <feed position>": that user's feed holds changes up to that position.
 */
export const CHANGES_CHANNEL = 'todo_task_changes'

/**
 * Rings the doorbell for these users after their writes have committed: one notification each,
 * naming the head of their feed, all in one statement (one transaction: a NOTIFY holds a lock
 * global to the database cluster while it commits, so one per write would make writes wait for
 * each other).
 */
export async function notifyFeedHeads(db: Kysely<DB>, userIds: readonly string[]): Promise<void> {
  const head = sql`(select c.seq from task_changes c where c.user_id = u.id order by c.seq desc limit 1)`
  await sql`
    select pg_notify(${CHANGES_CHANNEL}, u.id || ' ' || coalesce(${head}, 0))
    from unnest(${userIds}::text[]) as u(id)`.execute(db)
}

/** A time column of the feed query as the contract's ISO 8601 string. */
const iso = (column: string) => sql`to_char(${sql.ref(column)} at time zone 'UTC', ${ISO_8601})`

interface ChangeRow {
  seq: string
  op: 'upsert' | 'delete'
  id: string
  at: string
  user_id: string | null
  title: string | null
  description: string | null
  completed: boolean | null
  completed_at: string | null
  created_at: string | null
  updated_at: string | null
  due: string | null
  priority: number | null
  labels: string[] | null
  position: string | null
  version: number | null
}

/** A change as the contract gives it, with its place in the feed. */
export interface FeedChange {
  seq: string
  change: Change
}

/**
 * The user's changes after `after` (a feed position), in the order they committed (see
 * migrations 2026_12_02_000007 for why that order has no gap): each task's last change, with
 * the task as it is now. `upserts only` leaves tombstones out (a snapshot for a new client).
 * Reads `limit + 1` rows to tell whether more are waiting.
 */
export async function listChangesForUser(
  db: Kysely<DB>,
  userId: string,
  { after, limit, upsertsOnly }: { after: string; limit: number; upsertsOnly: boolean },
): Promise<{ changes: FeedChange[]; more: boolean }> {
  const { rows } = await sql<ChangeRow>`
    select c.seq::text as seq, c.op, c.task_id as id, ${iso('c.at')} as at,
      t.user_id, t.title, t.description, t.completed, ${iso('t.completed_at')} as completed_at,
      ${iso('t.created_at')} as created_at, ${iso('t.updated_at')} as updated_at,
      to_char(t.due, 'YYYY-MM-DD') as due, t.priority, t.labels, t.position, t.version
    from task_changes c
    left join tasks t on t.id = c.task_id and t.user_id = c.user_id
    where c.user_id = ${userId} and c.seq > ${after}::bigint ${upsertsOnly ? sql`and c.op = 'upsert'` : sql``}
    order by c.seq
    limit ${limit + 1}`.execute(db)
  const more = rows.length > limit
  return { changes: (more ? rows.slice(0, limit) : rows).map(toFeedChange), more }
}

function toFeedChange(row: ChangeRow): FeedChange {
  const { seq, id, at } = row
  if (row.op === 'delete' || row.user_id === null) return { seq, change: { op: 'delete', id, task: null, at } }
  const task: Task = {
    id,
    user_id: row.user_id,
    title: row.title!,
    description: row.description,
    completed: row.completed!,
    completed_at: row.completed_at,
    created_at: row.created_at!,
    updated_at: row.updated_at!,
    due: row.due,
    priority: row.priority!,
    labels: row.labels!,
    position: row.position,
    version: row.version!,
  }
  return { seq, change: { op: 'upsert', id, task, at } }
}

/** The position of the user's latest change ('0' before the first): where a new reader starts. */
export async function headOfFeedForUser(db: Kysely<DB>, userId: string): Promise<string> {
  const row = await db
    .selectFrom('task_changes')
    .select(sql<string>`coalesce(max(seq), 0)::text`.as('head'))
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
  return row.head
}

/** Forgets tombstones older than `seconds`; returns how many. Not scoped to a user: housekeeping. */
export async function unsafePurgeTombstones(db: Kysely<DB>, seconds: number): Promise<number> {
  const result = await db
    .deleteFrom('task_changes')
    .where('op', '=', 'delete')
    .where('at', '<', sql<string>`now() - make_interval(secs => ${seconds})`)
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
