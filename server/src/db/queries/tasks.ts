import { labelKey, type SortOrder, type Task, type TaskSort } from '@todo/contracts'
import { type Expression, type Kysely, type Selectable, type SqlBool, sql } from 'kysely'
import type { DB, TasksTable } from '../schema.js'

/** `to_char`'s pattern for the contract's times: `2026-01-03T10:30:00.500Z`. */
export const ISO_8601 = sql.lit('YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')

/**
 * A time column as the contract's ISO 8601 string, formatted by PostgreSQL (the columns hold
 * milliseconds). Formatting in JavaScript cost four short strings per value: on a page of 50
 * tasks that was a tenth of what the server allocated per request, all garbage.
 */
function isoTime<C extends 'completed_at' | 'created_at' | 'updated_at'>(column: C) {
  return sql<Selectable<TasksTable>[C]>`to_char(${sql.ref(column)} at time zone 'UTC', ${ISO_8601})`.as(column)
}

/** The columns of a task, in the contract's order: a row is the contract object as it stands. */
const TASK_COLUMNS = [
  'id',
  'user_id',
  'title',
  'description',
  'completed',
  isoTime('completed_at'),
  isoTime('created_at'),
  isoTime('updated_at'),
  sql<string | null>`to_char(due, 'YYYY-MM-DD')`.as('due'),
  'priority',
  'labels',
  'position',
  'version',
] as const

/** The planning fields a create or an update may set. */
interface PlanningFields {
  due?: string | null | undefined
  priority?: number | undefined
  /** As written; their keys (`labelKey`) are stored beside them, for the `label` filter. */
  labels?: string[] | undefined
  position?: string | null | undefined
}

export interface NewTask extends PlanningFields {
  /** Chosen by the client (a retry-safe create); generated when absent. */
  id?: string | undefined
  title: string
  description?: string | null | undefined
}

/** The planning columns of a write: only those given. */
function planningColumns(fields: PlanningFields) {
  return {
    ...(fields.due !== undefined && { due: fields.due }),
    ...(fields.priority !== undefined && { priority: fields.priority }),
    ...(fields.labels !== undefined && { labels: fields.labels, label_keys: fields.labels.map(labelKey) }),
    ...(fields.position !== undefined && { position: fields.position }),
  }
}

/**
 * Inserts the task; `undefined` when its id is taken already (by this user: a replay, or by
 * another), in which case nothing is written. Two inserts of one id racing: the second waits
 * for the first to commit, then finds the id taken.
 */
export async function insertTask(db: Kysely<DB>, userId: string, task: NewTask): Promise<Task | undefined> {
  return db
    .insertInto('tasks')
    .values({
      ...(task.id !== undefined && { id: task.id }),
      user_id: userId,
      title: task.title,
      description: task.description ?? null,
      ...planningColumns(task),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning(TASK_COLUMNS)
    .executeTakeFirst()
}

export async function findTaskForUser(db: Kysely<DB>, userId: string, id: string): Promise<Task | undefined> {
  return db
    .selectFrom('tasks')
    .select(TASK_COLUMNS)
    .where('user_id', '=', userId)
    .where('id', '=', id)
    .executeTakeFirst()
}

/** Where a page starts: the sort value and id of the last task of the page before. */
export interface TaskKey {
  value: string | number
  id: string
}

export interface TaskListQuery {
  completed?: boolean | undefined
  /** Words, already cut into search terms (see `searchTerms`). */
  terms?: string[] | undefined
  /** Label keys the task must all have. */
  labels?: string[] | undefined
  priority?: number | undefined
  dueAfter?: string | undefined
  dueBefore?: string | undefined
  /** Pending and due before this day (`true`), or not (`false`). */
  overdue?: { today: string; overdue: boolean } | undefined
  sort: TaskSort
  order: SortOrder
  limit: number
  after?: TaskKey | undefined
}

/** Cuts a search into the terms of a prefix `tsquery`: letters and digits only, folded as the index folds them. */
export function searchTerms(q: string): string[] {
  return (
    q
      .slice(0, 1000)
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu)
      ?.slice(0, 16)
      .map((term) => term.slice(0, 64)) ?? []
  )
}

/** The terms as a `to_tsquery` text: every term, as a word or the start of one. */
function prefixQuery(terms: string[]) {
  return sql`to_tsquery('simple', ${terms.map((term) => `'${term}':*`).join(' & ')})`
}

/**
 * The value a sort orders by: undated and unplaced tasks last whichever the order (hence the
 * bounds), ties broken by id. `due` and `position` ascending are what indexes serve.
 */
function sortKey(sort: TaskSort, order: SortOrder, terms: string[] | undefined): Expression<unknown> {
  switch (sort) {
    case 'due':
      return order === 'asc' ? sql`coalesce(tasks.due, 'infinity'::date)` : sql`coalesce(tasks.due, '-infinity'::date)`
    case 'position':
      return order === 'asc' ? sql`coalesce(tasks.position, '~')` : sql`coalesce(tasks.position, '')`
    case 'relevance':
      return sql`ts_rank(tasks.search, ${prefixQuery(terms ?? [])})::float8`
    default:
      // Qualified: a bare name would sort by the formatted output column of the same name.
      return sql.ref(`tasks.${sort}`)
  }
}

/** The sort value of a task of the page, as the cursor keeps it. */
function keyOf(task: Task & { rank?: number }, sort: TaskSort, order: SortOrder): string | number {
  switch (sort) {
    case 'due':
      return task.due ?? (order === 'asc' ? 'infinity' : '-infinity')
    case 'position':
      return task.position ?? (order === 'asc' ? '~' : '')
    case 'relevance':
      return task.rank ?? 0
    default:
      return task[sort]
  }
}

/**
 * One page of a user's tasks, filtered, in (sort, id) order, keyset-paged: a page after
 * `after` is not shifted by tasks created or deleted meanwhile. Returns the key of the next
 * page, if any. Search terms use the `search` index; every term must match.
 */
export async function listTasksForUser(
  db: Kysely<DB>,
  userId: string,
  query: TaskListQuery,
): Promise<{ tasks: Task[]; next: TaskKey | undefined }> {
  const { sort, order, limit, after, terms } = query
  const key = sortKey(sort, order, terms)
  let select = db.selectFrom('tasks').select(TASK_COLUMNS).where('user_id', '=', userId)
  if (sort === 'relevance') select = select.select(sql<number>`${key}`.as('rank'))
  if (query.completed !== undefined) select = select.where('completed', '=', query.completed)
  if (terms?.length) select = select.where(sql<SqlBool>`tasks.search @@ ${prefixQuery(terms)}`)
  if (query.labels?.length) select = select.where(sql<SqlBool>`tasks.label_keys @> ${query.labels}::text[]`)
  if (query.priority !== undefined) select = select.where('priority', '=', query.priority)
  if (query.dueAfter !== undefined) select = select.where(sql<SqlBool>`tasks.due >= ${query.dueAfter}::date`)
  if (query.dueBefore !== undefined) select = select.where(sql<SqlBool>`tasks.due <= ${query.dueBefore}::date`)
  if (query.overdue) {
    const overdue = sql<SqlBool>`(not tasks.completed and tasks.due < ${query.overdue.today}::date)`
    select = select.where(query.overdue.overdue ? overdue : sql<SqlBool>`not coalesce(${overdue}, false)`)
  }
  if (after) {
    select = select.where(
      sql<SqlBool>`(${key}, tasks.id) ${sql.raw(order === 'desc' ? '<' : '>')} (${after.value}, ${after.id}::uuid)`,
    )
  }
  const rows = (await select
    .orderBy(key, order)
    .orderBy('tasks.id', order)
    .limit(limit + 1)
    .execute()) as (Task & { rank?: number })[]
  const more = rows.length > limit
  const page = more ? rows.slice(0, limit) : rows
  const last = page.at(-1)
  const next = more && last ? { value: keyOf(last, sort, order), id: last.id } : undefined
  if (sort === 'relevance') for (const row of page) delete row.rank
  return { tasks: page, next }
}

/** What an update changes; `undefined` leaves a field alone. */
export interface TaskPatch extends PlanningFields {
  title?: string | undefined
  description?: string | null | undefined
  /** `'toggle'` flips it within the statement, so concurrent flips never lose one. */
  completed?: boolean | 'toggle' | undefined
}

/**
 * Changes the given fields of the user's task in one statement, only while it is at
 * `ifVersion` when that is given (the check and the write are that one statement);
 * `undefined` when there is no such task or it has moved on. The database keeps the version,
 * `updated_at` and `completed_at`, and keeps the row as it was when nothing changes.
 */
export async function updateTaskForUser(
  db: Kysely<DB>,
  userId: string,
  id: string,
  patch: TaskPatch,
  ifVersion?: number | undefined,
): Promise<Task | undefined> {
  let update = db
    .updateTable('tasks')
    .set((eb) => ({
      ...(patch.title !== undefined && { title: patch.title }),
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.completed !== undefined && {
        completed: patch.completed === 'toggle' ? eb.not(eb.ref('completed')) : patch.completed,
      }),
      ...planningColumns(patch),
    }))
    .where('user_id', '=', userId)
    .where('id', '=', id)
  if (ifVersion !== undefined) update = update.where('version', '=', ifVersion)
  return update.returning(TASK_COLUMNS).executeTakeFirst()
}

/**
 * Deletes the task, only while it is at `ifVersion` when that is given; `undefined` when this
 * user has no such task or it has moved on.
 */
export async function deleteTaskForUser(
  db: Kysely<DB>,
  userId: string,
  id: string,
  ifVersion?: number | undefined,
): Promise<{ id: string } | undefined> {
  let remove = db.deleteFrom('tasks').where('user_id', '=', userId).where('id', '=', id)
  if (ifVersion !== undefined) remove = remove.where('version', '=', ifVersion)
  return remove.returning('id').executeTakeFirst()
}

/**
 * Sets `completed` on every one of the user's tasks `ids`, all or nothing: the rows are locked
 * first (in id order, so two such calls cannot deadlock), and when one of the ids is not this
 * user's task nothing is written. Returns the ids not found, or the tasks in the order of `ids`.
 */
export async function completeTasksForUser(
  db: Kysely<DB>,
  userId: string,
  ids: string[],
  completed: boolean,
): Promise<{ missing: string[] } | { tasks: Task[] }> {
  return db.transaction().execute(async (trx) => {
    const locked = await trx
      .selectFrom('tasks')
      .select('id')
      .where('user_id', '=', userId)
      .where('id', 'in', ids)
      .orderBy('id')
      .forUpdate()
      .execute()
    const found = new Set(locked.map((row) => row.id))
    const missing = ids.filter((id) => !found.has(id))
    if (missing.length > 0) return { missing }
    const rows = await trx
      .updateTable('tasks')
      .set({ completed })
      .where('user_id', '=', userId)
      .where('id', 'in', ids)
      .returning(TASK_COLUMNS)
      .execute()
    const byId = new Map(rows.map((row) => [row.id, row]))
    return { tasks: ids.map((id) => byId.get(id)!) }
  })
}

/** Deletes every completed task of the user; returns their ids. */
export async function deleteCompletedTasksForUser(db: Kysely<DB>, userId: string): Promise<string[]> {
  const rows = await db
    .deleteFrom('tasks')
    .where('user_id', '=', userId)
    .where('completed', '=', true)
    .returning('id')
    .execute()
  return rows.map((row) => row.id)
}

/** Counts for a UI's badges: all, completed, overdue (before `today`), and per label key. */
export async function countTasksForUser(db: Kysely<DB>, userId: string, today: string) {
  const totals = await db
    .selectFrom('tasks')
    .select([
      sql<number>`count(*)::int`.as('total'),
      sql<number>`(count(*) filter (where completed))::int`.as('completed'),
      sql<number>`(count(*) filter (where not completed and due < ${today}::date))::int`.as('overdue'),
    ])
    .where('user_id', '=', userId)
    .executeTakeFirstOrThrow()
  const { rows: labels } = await sql<{ label: string; total: number; completed: number }>`
    select min(l.label) as label, count(*)::int as total, (count(*) filter (where t.completed))::int as completed
    from tasks t, unnest(t.label_keys, t.labels) as l(key, label)
    where t.user_id = ${userId}
    group by l.key
    order by count(*) desc, l.key`.execute(db)
  return { ...totals, labels }
}
