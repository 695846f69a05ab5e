import {
  CompleteTaskInputSchema,
  CreateTaskInputSchema,
  ListTasksInputSchema,
  listTasksQueryTypes,
  TaskPageSchema,
  TaskPathSchema,
  TaskSchema,
  taskRoutes,
  UpdateTaskInputSchema,
} from '@todo/contracts'
import { TRPCError } from '@trpc/server'
import { z } from 'zod'
import {
  deleteTaskForUser,
  findTaskForUser,
  insertTask,
  listTasksForUser,
  updateTaskForUser,
} from '../../db/queries/tasks.js'
import type { Context } from '../context.js'
import { inputError } from '../error-shape.js'
import { restQuery, router, userScopedProcedure } from '../init.js'
import { decodeCursor, encodeCursor } from './tasks-cursor.js'

/** A task that is missing and one of another user's answer alike: existence never leaks. */
function found<T>(task: T | undefined): T {
  if (task === undefined) throw new TRPCError({ code: 'NOT_FOUND', message: 'No such task' })
  return task
}

const listProcedure = userScopedProcedure.use(restQuery(listTasksQueryTypes)).input(ListTasksInputSchema)

async function listPage(ctx: Context & { user: { id: string } }, input: z.output<typeof ListTasksInputSchema>) {
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

export const tasksRouter = router({
  create: userScopedProcedure
    .meta(taskRoutes.create)
    .input(CreateTaskInputSchema)
    .output(TaskSchema)
    .mutation(({ ctx, input }) => insertTask(ctx.db, ctx.user.id, input)),

  list: listProcedure
    .meta(taskRoutes.list)
    .output(z.array(TaskSchema))
    .query(async ({ ctx, input }) => {
      const page = await listPage(ctx, input)
      if (page.next_cursor) ctx.nextPage?.(page.next_cursor)
      return page.items
    }),

  /** tRPC only: the same list with its cursor, for infinite queries. */
  page: listProcedure.output(TaskPageSchema).query(({ ctx, input }) => listPage(ctx, input)),

  get: userScopedProcedure
    .meta(taskRoutes.get)
    .input(TaskPathSchema)
    .output(TaskSchema)
    .query(async ({ ctx, input }) => found(await findTaskForUser(ctx.db, ctx.user.id, input.id))),

  update: userScopedProcedure
    .meta(taskRoutes.update)
    .input(UpdateTaskInputSchema)
    .output(TaskSchema)
    .mutation(async ({ ctx, input }) => {
      const { user_id: _, id, ...patch } = input
      return found(await updateTaskForUser(ctx.db, ctx.user.id, id, patch))
    }),

  delete: userScopedProcedure
    .meta(taskRoutes.delete)
    .input(TaskPathSchema)
    .output(z.void())
    .mutation(async ({ ctx, input }) => {
      found(await deleteTaskForUser(ctx.db, ctx.user.id, input.id))
    }),

  complete: userScopedProcedure
    .meta(taskRoutes.complete)
    .input(CompleteTaskInputSchema)
    .output(TaskSchema)
    .mutation(async ({ ctx, input }) =>
      found(await updateTaskForUser(ctx.db, ctx.user.id, input.id, { completed: input.completed ?? 'toggle' })),
    ),
})
