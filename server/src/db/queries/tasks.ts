import type { SortOrder, Task, TaskSort } from '@todo/contracts'
import type { Kysely, Selectable } from 'kysely'
import type { DB, TasksTable } from '../schema.js'

type TaskRow = Selectable<TasksTable>

const TASK_COLUMNS = [
  'id',
  'user_id',
  'title',
  'description',
  'completed',
  'completed_at',
  'created_at',
  'updated_at',
] as const

/** Row → contract object: the same fields (times already ISO 8601 strings, see timestamps.ts). */
export function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    user_id: row.user_id,
    title: row.title,
    description: row.description,
    completed: row.completed,
    completed_at: row.completed_at,
    created_at: row.created_at,
    updated_at: row.updated_at,
  }
}

export async function insertTask(
  db: Kysely<DB>,
  userId: string,
  fields: { title: string; description?: string | null | undefined },
): Promise<Task> {
  const row = await db
    .insertInto('tasks')
    .values({ user_id: userId, title: fields.title, description: fields.description ?? null })
    .returning(TASK_COLUMNS)
    .executeTakeFirstOrThrow()
  return toTask(row)
}

export async function findTaskForUser(db: Kysely<DB>, userId: string, id: string): Promise<Task | undefined> {
  const row = await db
    .selectFrom('tasks')
    .select(TASK_COLUMNS)
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst()
  return row && toTask(row)
}

/** Where a page starts: the sort value and id of the last task of the page before. */
export interface TaskKey {
  value: string
  id: string
}

export interface TaskListQuery {
  completed?: boolean | undefined
  sort: TaskSort
  order: SortOrder
  limit: number
  after?: TaskKey | undefined
}

/**
 * One page of a user's tasks in (sort, id) order, keyset-paged: a page after `after` is not
 * shifted by tasks created or deleted meanwhile. Returns the key of the next page, if any.
 */
export async function listTasksForUser(
  db: Kysely<DB>,
  userId: string,
  query: TaskListQuery,
): Promise<{ tasks: Task[]; next: TaskKey | undefined }> {
  const { sort, order, limit, after } = query
  let select = db.selectFrom('tasks').select(TASK_COLUMNS).where('user_id', '=', userId)
  if (query.completed !== undefined) select = select.where('completed', '=', query.completed)
  if (after) {
    select = select.where(({ eb, refTuple, tuple }) =>
      eb(refTuple(sort, 'id'), order === 'desc' ? '<' : '>', tuple(after.value, after.id)),
    )
  }
  const rows = await select
    .orderBy(sort, order)
    .orderBy('id', order)
    .limit(limit + 1)
    .execute()
  const more = rows.length > limit
  const tasks = (more ? rows.slice(0, limit) : rows).map(toTask)
  const last = tasks.at(-1)
  return { tasks, next: more && last ? { value: last[sort], id: last.id } : undefined }
}

/** What an update changes; `undefined` leaves a field alone. */
export interface TaskPatch {
  title?: string | undefined
  description?: string | null | undefined
  /** `'toggle'` flips it within the statement, so concurrent flips never lose one. */
  completed?: boolean | 'toggle' | undefined
}

/** Changes the given fields of the user's task in one statement; `undefined` when there is no such task. */
export async function updateTaskForUser(
  db: Kysely<DB>,
  userId: string,
  id: string,
  patch: TaskPatch,
): Promise<Task | undefined> {
  const row = await db
    .updateTable('tasks')
    .set((eb) => ({
      ...(patch.title !== undefined && { title: patch.title }),
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.completed !== undefined && {
        completed: patch.completed === 'toggle' ? eb.not(eb.ref('completed')) : patch.completed,
      }),
      updated_at: eb.fn('now'),
    }))
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .returning(TASK_COLUMNS)
    .executeTakeFirst()
  return row && toTask(row)
}

/** Deletes the task; `undefined` when this user had no such task. */
export async function deleteTaskForUser(
  db: Kysely<DB>,
  userId: string,
  id: string,
): Promise<{ id: string } | undefined> {
  return db.deleteFrom('tasks').where('user_id', '=', userId).where('id', '=', id).returning('id').executeTakeFirst()
}
