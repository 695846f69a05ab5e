import { z } from 'zod'
import { exact, IsoDateTimeSchema, TaskIdSchema, UserIdSchema } from './common.js'
import {
  DateSchema,
  DueSchema,
  LABEL_MAX,
  LabelsSchema,
  PositionSchema,
  PrioritySchema,
  SEARCH_MAX,
  TimeZoneSchema,
} from './planning.js'
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
    due: z.string().nullable().describe('The day the task is due, `YYYY-MM-DD`, or `null`.'),
    priority: z.int().describe('0 none, 1 low, 2 medium, 3 high.'),
    labels: z.array(z.string()).describe('Its labels, as written.'),
    position: z.string().nullable().describe('Its key in the user’s own order (`sort=position`), or `null`.'),
    version: z
      .int()
      .min(1)
      .describe(
        '1 on create, +1 on every change; a write that changes nothing keeps it. The REST `ETag` is this number, quoted.',
      ),
  })
  .meta({ id: 'Task' })
export type Task = z.infer<typeof TaskSchema>

/** `/{user_id}/tasks/{id}`: the task a call is about. */
export const TaskPathSchema = z.object({ user_id: UserIdSchema, id: TaskIdSchema })
export type TaskPath = z.infer<typeof TaskPathSchema>

/** A write's condition: the version the client last saw. */
const IfVersionSchema = exact(z.int().min(1))
  .optional()
  .describe(
    'Write only if the task is still at this version; otherwise nothing changes and the answer is 412 `PRECONDITION_FAILED` with `current`. REST: the `If-Match: "<version>"` header.',
  )

export const CreateTaskInputSchema = z.object({
  user_id: UserIdSchema,
  id: TaskIdSchema.optional().describe(
    'A uuid the client chose, so that a retried create is harmless: the same id again returns the first task (200, REST `Idempotent-Replayed: true`), never a second one; an id another user has is 409.',
  ),
  title: TitleSchema,
  description: DescriptionSchema.optional(),
  due: DueSchema.optional(),
  priority: PrioritySchema.optional(),
  labels: LabelsSchema.optional(),
  position: PositionSchema.optional(),
})
export type CreateTaskInput = z.infer<typeof CreateTaskInputSchema>

export const DeleteTaskInputSchema = TaskPathSchema.extend({ if_version: IfVersionSchema })
export type DeleteTaskInput = z.infer<typeof DeleteTaskInputSchema>

const UPDATABLE = ['title', 'description', 'completed', 'due', 'priority', 'labels', 'position'] as const

export const UpdateTaskInputSchema = TaskPathSchema.extend({
  title: TitleSchema.optional(),
  description: DescriptionSchema.optional(),
  completed: exact(z.boolean()).optional().describe('Sets completion; `completed_at` follows.'),
  due: DueSchema.optional(),
  priority: PrioritySchema.optional(),
  labels: LabelsSchema.optional(),
  position: PositionSchema.optional(),
  if_version: IfVersionSchema,
}).refine((input) => UPDATABLE.some((field) => input[field] !== undefined), {
  message: 'Give at least one of title, description, completed, due, priority, labels, position',
})
export type UpdateTaskInput = z.infer<typeof UpdateTaskInputSchema>

export const CompleteTaskInputSchema = TaskPathSchema.extend({
  completed: exact(z.boolean())
    .optional()
    .describe('Sets completion (a retry is harmless); when absent, completion is toggled.'),
  if_version: IfVersionSchema,
})
export type CompleteTaskInput = z.infer<typeof CompleteTaskInputSchema>

export const TaskSortSchema = z.enum(['created_at', 'updated_at', 'title', 'due', 'priority', 'position', 'relevance'])
export type TaskSort = z.infer<typeof TaskSortSchema>
export const SortOrderSchema = z.enum(['asc', 'desc'])
export type SortOrder = z.infer<typeof SortOrderSchema>

export const ListTasksInputSchema = z.object({
  user_id: UserIdSchema,
  completed: exact(z.boolean()).describe('Only completed (true) or pending (false) tasks.').optional(),
  q: z
    .string()
    .max(SEARCH_MAX)
    .optional()
    .describe(
      'Words to find in the title and description: every word must match, as a word or the start of one, whatever its accents or case; the best matches first (`sort=relevance`, the default with `q`).',
    ),
  label: z
    .array(z.string().max(LABEL_MAX * 4))
    .max(20)
    .optional()
    .describe('Only tasks with this label (compared as labels are); repeat it for tasks with all of them.'),
  priority: PrioritySchema.optional().describe('Only tasks of this priority.'),
  due_after: DateSchema.optional().describe('Only tasks due on or after this day.'),
  due_before: DateSchema.optional().describe('Only tasks due on or before this day.'),
  overdue: exact(z.boolean())
    .optional()
    .describe('`true`: only pending tasks due before today (in `tz`); `false`: every other task.'),
  tz: TimeZoneSchema.optional(),
  sort: TaskSortSchema.optional().describe(
    'Sort key (default `created_at`, or `relevance` with `q`); undated and unplaced tasks come last; ties are broken by id.',
  ),
  order: SortOrderSchema.describe(
    'Default: `desc` for the time sorts, `priority` and `relevance`, `asc` for `title`, `due` and `position`.',
  ).optional(),
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
 * The input of `tasks.page` (tRPC only, for infinite queries): the list's, where the first page's
 * cursor may be `null`, as TanStack Query's infinite queries send it (`initialPageParam`).
 */
export const TaskPageInputSchema = ListTasksInputSchema.extend({
  cursor: ListTasksInputSchema.shape.cursor.unwrap().nullish(),
})

/**
 * The typed query parameters of `GET /{user_id}/tasks`: URL values are strings, so the REST
 * door reads these before validation (the tRPC door receives JSON types and reads nothing).
 */
export const listTasksQueryTypes = {
  completed: 'boolean',
  limit: 'integer',
  priority: 'integer',
  overdue: 'boolean',
} as const

export const TaskPageSchema = z
  .object({
    items: z.array(TaskSchema),
    next_cursor: z.string().nullable().describe('Cursor of the next page; `null` on the last page.'),
  })
  .meta({ id: 'TaskPage' })
export type TaskPage = z.infer<typeof TaskPageSchema>

export const CHANGES_LIMIT_DEFAULT = 100
export const CHANGES_LIMIT_MAX = 500

export const ChangesInputSchema = z.object({
  user_id: UserIdSchema,
  since: z
    .string()
    .max(512)
    .optional()
    .describe('The `cursor` of the previous answer. Without it: every current task, as upserts, then the cursor.'),
  limit: exact(z.int().min(1).max(CHANGES_LIMIT_MAX))
    .default(CHANGES_LIMIT_DEFAULT)
    .describe(`Changes at most, 1 to ${CHANGES_LIMIT_MAX}.`),
})
export type ChangesInput = z.input<typeof ChangesInputSchema>

/** The typed query parameters of `GET /{user_id}/tasks/changes` (see `listTasksQueryTypes`). */
export const changesQueryTypes = { limit: 'integer' } as const

const ChangeAtSchema = IsoDateTimeSchema.describe('When the change was made.')

/** One change of the feed: a task as it is now, or the id of a task that is gone. */
export const ChangeSchema = z
  .discriminatedUnion('op', [
    z.object({ op: z.literal('upsert'), id: TaskIdSchema, task: TaskSchema, at: ChangeAtSchema }),
    z.object({ op: z.literal('delete'), id: TaskIdSchema, task: z.null(), at: ChangeAtSchema }),
  ])
  .meta({ id: 'Change' })
export type Change = z.infer<typeof ChangeSchema>

export const ChangesPageSchema = z
  .object({
    changes: z
      .array(ChangeSchema)
      .describe('In the order they committed; several changes of one task may come as one.'),
    cursor: z.string().describe('Pass it as `since` next time. Opaque; it belongs to its user.'),
    has_more: z.boolean().describe('More changes are waiting: ask again with `cursor` at once.'),
  })
  .meta({ id: 'ChangesPage' })
export type ChangesPage = z.infer<typeof ChangesPageSchema>

export const BULK_MAX = 500

export const CompleteManyInputSchema = z.object({
  user_id: UserIdSchema,
  ids: z
    .array(TaskIdSchema)
    .min(1)
    .max(BULK_MAX)
    .describe(
      `The tasks (1 to ${BULK_MAX}); every one must be the caller’s, or nothing changes (404 naming the others).`,
    ),
  completed: exact(z.boolean()).default(true).describe('Completes them (the default), or reopens them with `false`.'),
})
export type CompleteManyInput = z.input<typeof CompleteManyInputSchema>

export const ClearCompletedOutputSchema = z
  .object({
    deleted: z.array(TaskIdSchema).describe('The ids of the tasks deleted: every completed one.'),
  })
  .meta({ id: 'ClearedTasks' })

export const StatsInputSchema = z.object({ user_id: UserIdSchema, tz: TimeZoneSchema.optional() })

const CountsSchema = { total: z.int(), completed: z.int() }

export const TaskStatsSchema = z
  .object({
    ...CountsSchema,
    overdue: z.int().describe('Pending tasks due before today (in `tz`).'),
    labels: z
      .array(z.object({ label: z.string(), ...CountsSchema }))
      .describe('Per label (as first written, compared as labels are), the most used first.'),
  })
  .meta({ id: 'TaskStats' })
export type TaskStats = z.infer<typeof TaskStatsSchema>

export const EventsInputSchema = z.object({
  user_id: UserIdSchema,
  lastEventId: z
    .string()
    .max(512)
    .nullish()
    .describe('The id of the last event received (a feed cursor): the stream replays what came after it.'),
})
export type EventsInput = z.infer<typeof EventsInputSchema>

const task = '/{user_id}/tasks/{id}'
const common = { tags: ['tasks'], protect: true }
/** Errors of the task routes: another user's `user_id` in the path is 403; a task not the caller's is 404. */
const own = ['FORBIDDEN'] as const
const ownTask = ['FORBIDDEN', 'NOT_FOUND'] as const
const conditionalWrite = [...ownTask, 'PRECONDITION_FAILED'] as const

/** REST routes of the `tasks` procedures, paths exactly as in the contract. */
export const taskRoutes = defineRoutes({
  create: {
    openapi: {
      ...common,
      method: 'POST',
      path: '/{user_id}/tasks',
      summary: 'Create a task',
      description:
        'Creates a pending task owned by the caller and answers it with 201. With an `id` of the client’s choosing, a retry is harmless: the same id again answers the first task with 200 and `Idempotent-Replayed: true`.',
      responseHeaders: z.object({
        ETag: z.string().describe('The task’s version, quoted.'),
        'Idempotent-Replayed': z.literal('true').optional().describe('A retried create: the task already existed.'),
      }),
    },
    successStatus: 201,
    errors: [...own, 'CONFLICT'],
  },
  stats: {
    openapi: {
      ...common,
      method: 'GET',
      path: '/{user_id}/tasks/stats',
      summary: 'Count tasks',
      description: 'Counts for the badges of a UI: all, completed, overdue (in `tz`), and per label.',
    },
    errors: own,
  },
  completeMany: {
    openapi: {
      ...common,
      method: 'POST',
      path: '/{user_id}/tasks/complete-many',
      summary: 'Complete (or reopen) several tasks',
      description:
        'All or nothing: when one of the ids is not the caller’s task, nothing changes and the answer is 404. Answers the tasks, in the order of `ids`.',
    },
    errors: ownTask,
  },
  clearCompleted: {
    openapi: {
      ...common,
      method: 'DELETE',
      path: '/{user_id}/tasks/completed',
      summary: 'Delete every completed task',
      description: 'Clears the completed tasks, as “Clear completed” does in Google Tasks, and names them.',
    },
    errors: own,
  },
  changes: {
    openapi: {
      ...common,
      method: 'GET',
      path: '/{user_id}/tasks/changes',
      summary: 'List changes since a cursor',
      description:
        'The change feed: what changed since `since`, in commit order, with tombstones for deletions; without `since`, every current task, then the cursor to continue from. Nothing is ever skipped; a change may come twice. A cursor older than the retention of deletions is 410 `CURSOR_EXPIRED`: sync again without `since`.',
    },
    errors: [...own, 'CURSOR_EXPIRED'],
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
      description:
        "One of the caller's tasks. Another user's task is 404, as if it did not exist. With `If-None-Match` holding its current ETag: 304 and no body.",
      responseHeaders: z.object({ ETag: z.string().describe('The task’s version, quoted.') }),
    },
    errors: ownTask,
  },
  update: {
    openapi: {
      ...common,
      method: 'PUT',
      path: task,
      summary: 'Update a task',
      description:
        'Changes the fields given (at least one of title, description, completed). `If-Match: "<version>"` makes it conditional (412 with `current` when the task has moved on).',
      responseHeaders: z.object({ ETag: z.string().describe('The task’s version, quoted.') }),
    },
    errors: conditionalWrite,
  },
  delete: {
    openapi: {
      ...common,
      method: 'DELETE',
      path: task,
      summary: 'Delete a task',
      description:
        'Deletes the task for good and answers 204 with no body. `If-Match: "<version>"` makes it conditional (412 with `current`).',
    },
    successStatus: 204,
    errors: conditionalWrite,
  },
  complete: {
    openapi: {
      ...common,
      method: 'PATCH',
      path: `${task}/complete`,
      summary: 'Complete or reopen a task',
      description:
        'With no body (or `{}`) toggles `completed`; with `{"completed": true|false}` sets it. `If-Match: "<version>"` makes it conditional (412 with `current`).',
      responseHeaders: z.object({ ETag: z.string().describe('The task’s version, quoted.') }),
    },
    errors: conditionalWrite,
    optionalBody: true,
  },
})
