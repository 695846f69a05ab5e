import { z } from 'zod'
import { exact, IsoDateTimeSchema, TaskIdSchema, UserIdSchema } from './common.js'
import { defineRoutes } from './route-meta.js'
import { text } from './text.js'

export const TITLE_MAX = 200
export const DESCRIPTION_MAX = 1000
export const LIST_LIMIT_DEFAULT = 100
export const LIST_LIMIT_MAX = 500

const TitleSchema = text({ trim: true, min: 1, max: TITLE_MAX }).describe(
  'Stored trimmed; 1 to 200 characters after trimming; no control characters.',
)
const DescriptionSchema = text({ multiline: true, min: 0, max: DESCRIPTION_MAX })
  .nullable()
  .describe(
    'Up to 1000 characters; tab, line feed and carriage return allowed, other control characters refused. `null` clears it.',
  )

/** A task as the API returns it. */
export const TaskSchema = z
  .object({
    id: TaskIdSchema,
    user_id: z.string().describe('Owner of the task.'),
    title: z.string().describe('Trimmed; 1 to 200 characters.'),
    description: z.string().nullable().describe('Up to 1000 characters, or `null`.'),
    completed: z.boolean().describe('Whether the task is done.'),
    completed_at: IsoDateTimeSchema.nullable().describe(
      'When the task became completed; `null` exactly when it is not completed.',
    ),
    created_at: IsoDateTimeSchema.describe('When the task was created.'),
    updated_at: IsoDateTimeSchema.describe('When the task last changed.'),
  })
  .meta({ id: 'Task' })
export type Task = z.infer<typeof TaskSchema>

/** `/{user_id}/tasks/{id}`: the task a call is about. */
export const TaskPathSchema = z.object({ user_id: UserIdSchema, id: TaskIdSchema })
export type TaskPath = z.infer<typeof TaskPathSchema>

export const CreateTaskInputSchema = z.object({
  user_id: UserIdSchema,
  title: TitleSchema,
  description: DescriptionSchema.optional(),
})
export type CreateTaskInput = z.infer<typeof CreateTaskInputSchema>

export const UpdateTaskInputSchema = TaskPathSchema.extend({
  title: TitleSchema.optional(),
  description: DescriptionSchema.optional(),
  completed: exact(z.boolean()).optional().describe('Sets completion; `completed_at` follows.'),
}).refine((input) => input.title !== undefined || input.description !== undefined || input.completed !== undefined, {
  message: 'Give at least one of title, description, completed',
})
export type UpdateTaskInput = z.infer<typeof UpdateTaskInputSchema>

export const CompleteTaskInputSchema = TaskPathSchema.extend({
  completed: exact(z.boolean())
    .optional()
    .describe('Sets completion (a retry is harmless); when absent, completion is toggled.'),
})
export type CompleteTaskInput = z.infer<typeof CompleteTaskInputSchema>

export const TaskSortSchema = z.enum(['created_at', 'updated_at', 'title'])
export type TaskSort = z.infer<typeof TaskSortSchema>
export const SortOrderSchema = z.enum(['asc', 'desc'])
export type SortOrder = z.infer<typeof SortOrderSchema>

export const ListTasksInputSchema = z.object({
  user_id: UserIdSchema,
  completed: exact(z.boolean()).describe('Only completed (true) or pending (false) tasks.').optional(),
  sort: TaskSortSchema.default('created_at').describe('Sort key; ties are broken by id.'),
  order: SortOrderSchema.describe('Default: `desc` (newest first) for the time sorts, `asc` for `title`.').optional(),
  limit: exact(z.int().min(1).max(LIST_LIMIT_MAX))
    .default(LIST_LIMIT_DEFAULT)
    .describe(`Page size, 1 to ${LIST_LIMIT_MAX}.`),
  cursor: z
    .string()
    .max(2048)
    .describe('Opaque position from the previous page (`next_cursor`, or the `Link: rel="next"` header).')
    .optional(),
})
export type ListTasksInput = z.input<typeof ListTasksInputSchema>

/**
 * The typed query parameters of `GET /{user_id}/tasks`: URL values are strings, so the REST
 * door reads these before validation (the tRPC door receives JSON types and reads nothing).
 */
export const listTasksQueryTypes = { completed: 'boolean', limit: 'integer' } as const

export const TaskPageSchema = z
  .object({
    items: z.array(TaskSchema),
    next_cursor: z.string().nullable().describe('Cursor of the next page; `null` on the last page.'),
  })
  .meta({ id: 'TaskPage' })
export type TaskPage = z.infer<typeof TaskPageSchema>

const task = '/{user_id}/tasks/{id}'
const common = { tags: ['tasks'], protect: true }
/** Errors of the task routes: another user's `user_id` in the path is 403; a task not the caller's is 404. */
const own = ['FORBIDDEN'] as const
const ownTask = ['FORBIDDEN', 'NOT_FOUND'] as const

/** REST routes of the `tasks` procedures, paths exactly as in the contract. */
export const taskRoutes = defineRoutes({
  create: {
    openapi: {
      ...common,
      method: 'POST',
      path: '/{user_id}/tasks',
      summary: 'Create a task',
      description: 'Creates a pending task owned by the caller and answers it with 201.',
    },
    successStatus: 201,
    errors: own,
  },
  list: {
    openapi: {
      ...common,
      method: 'GET',
      path: '/{user_id}/tasks',
      summary: 'List tasks',
      description: 'Newest first by default. When a next page exists the response carries `Link: <…>; rel="next"`.',
      responseHeaders: z.object({
        Link: z
          .string()
          .optional()
          .describe('`<url>; rel="next"`: the same query for the next page; absent on the last page.'),
      }),
    },
    errors: own,
  },
  get: {
    openapi: {
      ...common,
      method: 'GET',
      path: task,
      summary: 'Get a task',
      description: "One of the caller's tasks. Another user's task is 404, as if it did not exist.",
    },
    errors: ownTask,
  },
  update: {
    openapi: {
      ...common,
      method: 'PUT',
      path: task,
      summary: 'Update a task',
      description: 'Changes the fields given (at least one of title, description, completed).',
    },
    errors: ownTask,
  },
  delete: {
    openapi: {
      ...common,
      method: 'DELETE',
      path: task,
      summary: 'Delete a task',
      description: 'Deletes the task for good and answers 204 with no body.',
    },
    successStatus: 204,
    errors: ownTask,
  },
  complete: {
    openapi: {
      ...common,
      method: 'PATCH',
      path: `${task}/complete`,
      summary: 'Complete or reopen a task',
      description: 'With no body (or `{}`) toggles `completed`; with `{"completed": true|false}` sets it.',
    },
    errors: ownTask,
    optionalBody: true,
  },
})
