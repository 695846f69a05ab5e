import {
  ChangesInputSchema,
  ChangesPageSchema,
  CompleteTaskInputSchema,
  CreateTaskInputSchema,
  changesQueryTypes,
  DeleteTaskInputSchema,
  EventsInputSchema,
  ListTasksInputSchema,
  listTasksQueryTypes,
  type Task,
  TaskPageSchema,
  TaskPathSchema,
  TaskSchema,
  taskRoutes,
  UpdateTaskInputSchema,
} from '@todo/contracts'
import { TRPCError } from '@trpc/server'
import { z } from 'zod'
import type { Identity } from '../../auth/identity.js'
import { headOfFeedForUser, listChangesForUser } from '../../db/queries/task-changes.js'
import {
  deleteTaskForUser,
  findTaskForUser,
  insertTask,
  listTasksForUser,
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

async function listPage(ctx: UserContext, input: z.output<typeof ListTasksInputSchema>) {
  const order = input.order ?? (input.sort === 'title' ? 'asc' : 'desc')
  const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor, input.sort, order)
  if (after === null) throw inputError(['cursor'], 'Not a cursor of this sort and order')
  const page = await listTasksForUser(ctx.db, ctx.user.id, {
    completed: input.completed,
    sort: input.sort,
    order,
    limit: input.limit,
    after,
  })
  return { items: page.tasks, next_cursor: page.next ? encodeCursor(page.next, input.sort, order) : null }
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
  page: listProcedure.output(TaskPageSchema).query(({ ctx, input }) => listPage(ctx, input)),

  // Before `get`: trpc-to-openapi matches `/{user_id}/tasks/{id}` in the order of definition.
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
