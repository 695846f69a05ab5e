import {
  ChangesInputSchema,
  ChangesPageSchema,
  ClearCompletedOutputSchema,
  CompleteManyInputSchema,
  CompleteTaskInputSchema,
  CreateTaskInputSchema,
  changesQueryTypes,
  DeleteTaskInputSchema,
  EventsInputSchema,
  ListTasksInputSchema,
  labelKey,
  listTasksQueryTypes,
  type SortOrder,
  StatsInputSchema,
  type Task,
  TaskPageInputSchema,
  TaskPageSchema,
  TaskPathSchema,
  TaskSchema,
  type TaskSort,
  TaskStatsSchema,
  taskRoutes,
  UpdateTaskInputSchema,
  UserIdSchema,
} from '@todo/contracts'
import { TRPCError } from '@trpc/server'
import { z } from 'zod'
import type { Identity } from '../../auth/identity.js'
import { headOfFeedForUser, listChangesForUser } from '../../db/queries/task-changes.js'
import {
  completeTasksForUser,
  countTasksForUser,
  deleteCompletedTasksForUser,
  deleteTaskForUser,
  findTaskForUser,
  insertTask,
  listTasksForUser,
  searchTerms,
  updateTaskForUser,
} from '../../db/queries/tasks.js'
import type { Context } from '../context.js'
import { inputError, staleVersion } from '../error-shape.js'
import { ifMatchHeader, restQuery, router, userScopedProcedure } from '../init.js'
import { changeEvents } from './task-events.js'
import { decodeCursor, encodeChangeCursor, encodeCursor, feedPosition } from './tasks-cursor.js'

export type UserContext = Context & { user: Identity }

/** A task that is missing and one of another user's answer alike: existence never leaks. */
const notFound = () => new TRPCError({ code: 'NOT_FOUND', message: 'No such task' })

function found<T>(task: T | undefined): T {
  if (task === undefined) throw notFound()
  return task
}

/** The task answered, with its version as the REST `ETag`. */
function answered(ctx: Context, task: Task): Task {
  ctx.rest?.etag(task.version)
  return task
}

/**
 * A conditional write that wrote nothing: the task has moved on (412, with the task as it is
 * now) or there is no such task of this user (404).
 */
async function refused(ctx: UserContext, id: string, ifVersion: number | undefined): Promise<never> {
  const current = ifVersion === undefined ? undefined : await findTaskForUser(ctx.db, ctx.user.id, id)
  throw current ? staleVersion(current) : notFound()
}

const listProcedure = userScopedProcedure.use(restQuery(listTasksQueryTypes)).input(ListTasksInputSchema)

/** The default order of each sort: newest, highest, best first; titles, dates and places in order. */
const DEFAULT_ORDER: Record<TaskSort, SortOrder> = {
  created_at: 'desc',
  updated_at: 'desc',
  title: 'asc',
  due: 'asc',
  priority: 'desc',
  position: 'asc',
  relevance: 'desc',
}

/** Today, as a calendar date in `timeZone`: what "overdue" is judged against. */
function today(timeZone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    new Date(),
  )
}

async function listPage(ctx: UserContext, input: z.output<typeof ListTasksInputSchema>) {
  const terms = input.q === undefined ? undefined : searchTerms(input.q)
  const sort = input.sort ?? (terms?.length ? 'relevance' : 'created_at')
  if (sort === 'relevance' && !terms?.length) throw inputError(['sort'], 'Sorting by relevance needs words in q')
  const order = input.order ?? DEFAULT_ORDER[sort]
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor, sort, order)
  if (after === null) throw inputError(['cursor'], 'Not a cursor of this sort and order')
  // Words that are all punctuation find nothing, rather than everything.
  if (terms !== undefined && terms.length === 0) return { items: [], next_cursor: null }
  const page = await listTasksForUser(ctx.db, ctx.user.id, {
    completed: input.completed,
    terms,
    labels: input.label?.map(labelKey),
    priority: input.priority,
    dueAfter: input.due_after,
    dueBefore: input.due_before,
    overdue: input.overdue === undefined ? undefined : { today: today(input.tz ?? 'UTC'), overdue: input.overdue },
    sort,
    order,
    limit: input.limit,
    after,
  })
  return { items: page.tasks, next_cursor: page.next ? encodeCursor(page.next, sort, order) : null }
}

const later = (a: string, b: string) => (BigInt(a) >= BigInt(b) ? a : b)

export const tasksRouter = router({
  create: userScopedProcedure
    .meta(taskRoutes.create)
    .input(CreateTaskInputSchema)
    .output(TaskSchema)
    .mutation(async ({ ctx, input }) => {
      const { user_id: _, ...task } = input
      const created = await insertTask(ctx.db, ctx.user.id, task)
      if (created) return answered(ctx, created)
      // The id is taken: by one of the caller's tasks (a retried create: the first one wins),
      // or by another user's (409; the caller learns only that the id cannot be theirs).
      const replay = await findTaskForUser(ctx.db, ctx.user.id, input.id!)
      if (!replay) throw new TRPCError({ code: 'CONFLICT', message: 'This task id is in use; choose another' })
      ctx.rest?.replayed()
      return answered(ctx, replay)
    }),

  list: listProcedure
    .meta(taskRoutes.list)
    .output(z.array(TaskSchema))
    .query(async ({ ctx, input }) => {
      const page = await listPage(ctx, input)
      if (page.next_cursor) ctx.rest?.nextPage(page.next_cursor)
      return page.items
    }),

  /** tRPC only: the same list with its cursor, for infinite queries. */
  page: userScopedProcedure
    .input(TaskPageInputSchema)
    .output(TaskPageSchema)
    .query(({ ctx, input }) => listPage(ctx, { ...input, cursor: input.cursor ?? undefined })),

  // Before `get`, `update` and `delete`: trpc-to-openapi matches `/{user_id}/tasks/{id}` in
  // the order of definition.
  stats: userScopedProcedure
    .meta(taskRoutes.stats)
    .input(StatsInputSchema)
    .output(TaskStatsSchema)
    .query(({ ctx, input }) => countTasksForUser(ctx.db, ctx.user.id, today(input.tz ?? 'UTC'))),

  completeMany: userScopedProcedure
    .meta(taskRoutes.completeMany)
    .input(CompleteManyInputSchema)
    .output(z.array(TaskSchema))
    .mutation(async ({ ctx, input }) => {
      const ids = [...new Set(input.ids)]
      const result = await completeTasksForUser(ctx.db, ctx.user.id, ids, input.completed)
      if ('missing' in result) {
        throw new TRPCError({ code: 'NOT_FOUND', message: `No such task: ${result.missing.join(', ')}` })
      }
      return result.tasks
    }),

  clearCompleted: userScopedProcedure
    .meta(taskRoutes.clearCompleted)
    .input(z.object({ user_id: UserIdSchema }))
    .output(ClearCompletedOutputSchema)
    .mutation(async ({ ctx }) => ({ deleted: await deleteCompletedTasksForUser(ctx.db, ctx.user.id) })),

  changes: userScopedProcedure
    .meta(taskRoutes.changes)
    .use(restQuery(changesQueryTypes))
    .input(ChangesInputSchema)
    .output(ChangesPageSchema)
    .query(async ({ ctx, input }) => {
      const since = input.since === undefined ? undefined : feedPosition(ctx, input.since, 'since')
      const page = await listChangesForUser(ctx.db, ctx.user.id, {
        after: since ?? '0',
        limit: input.limit,
        // A first sync needs no tombstones: only what exists.
        upsertsOnly: since === undefined,
      })
      let position = page.changes.at(-1)?.seq ?? since ?? '0'
      // The end of a first sync: past the tombstones it left out.
      if (!page.more && since === undefined) position = later(position, await headOfFeedForUser(ctx.db, ctx.user.id))
      return {
        changes: page.changes.map((entry) => entry.change),
        cursor: encodeChangeCursor(ctx.user.id, position),
        has_more: page.more,
      }
    }),

  /**
   * Live: each change of the caller's tasks as it commits, `tracked` with its feed cursor, over
   * SSE (`httpSubscriptionLink`). With `lastEventId` (sent again by the client on reconnect) it
   * replays what came after it from the feed first. REST: `GET /{user_id}/tasks/events`.
   */
  events: userScopedProcedure.input(EventsInputSchema).subscription(({ ctx, input, signal }) => {
    const start = input.lastEventId == null ? undefined : feedPosition(ctx, input.lastEventId, 'lastEventId')
    return changeEvents(ctx, start, signal)
  }),

  get: userScopedProcedure
    .meta(taskRoutes.get)
    .input(TaskPathSchema)
    .output(TaskSchema)
    .query(async ({ ctx, input }) => answered(ctx, found(await findTaskForUser(ctx.db, ctx.user.id, input.id)))),

  update: userScopedProcedure
    .meta(taskRoutes.update)
    .use(ifMatchHeader)
    .input(UpdateTaskInputSchema)
    .output(TaskSchema)
    .mutation(async ({ ctx, input }) => {
      const { user_id: _, id, if_version, ...patch } = input
      const task = await updateTaskForUser(ctx.db, ctx.user.id, id, patch, if_version)
      return answered(ctx, task ?? (await refused(ctx, id, if_version)))
    }),

  delete: userScopedProcedure
    .meta(taskRoutes.delete)
    .use(restQuery({ if_version: 'integer' }))
    .use(ifMatchHeader)
    .input(DeleteTaskInputSchema)
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      const deleted = await deleteTaskForUser(ctx.db, ctx.user.id, input.id, input.if_version)
      if (!deleted) await refused(ctx, input.id, input.if_version)
    }),

  complete: userScopedProcedure
    .meta(taskRoutes.complete)
    .use(ifMatchHeader)
    .input(CompleteTaskInputSchema)
    .output(TaskSchema)
    .mutation(async ({ ctx, input }) => {
      const completed = input.completed ?? 'toggle'
      const task = await updateTaskForUser(ctx.db, ctx.user.id, input.id, { completed }, input.if_version)
      return answered(ctx, task ?? (await refused(ctx, input.id, input.if_version)))
    }),
})
