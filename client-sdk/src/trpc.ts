import { createTRPCClient, httpBatchLink, httpBatchStreamLink, type TRPCClient, type TRPCLink } from '@trpc/client'
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server'
import type { TodoRouter } from './generated/router.js'
import { authorization, origin, type TodoClientOptions } from './options.js'

/** The server answers at most this many calls in one batch (its `maxBatchSize`). */
const MAX_BATCH_ITEMS = 50
/** Longer batched GETs are split, to stay within what proxies and the server accept. */
const MAX_URL_LENGTH = 4000

export interface TodoTrpcClientOptions extends TodoClientOptions {
  /**
   * How calls travel. `'batch'` (default, `httpBatchLink`): the calls of one tick go in one
   * request and are answered together. `'stream'` (`httpBatchStreamLink`): the same batches,
   * each answer streamed as soon as it is ready.
   */
  batching?: 'batch' | 'stream'
}

/** Inputs of every procedure: `RouterInputs['tasks']['create']`. */
export type RouterInputs = inferRouterInputs<TodoRouter>

/** Outputs of every procedure, as they arrive (JSON): `RouterOutputs['tasks']['list']`. */
export type RouterOutputs = inferRouterOutputs<TodoRouter>

/** A page of tasks and the cursor of the next one (`tasks.page`, for infinite queries). */
export type TaskPage = RouterOutputs['tasks']['page']

/** The typed tRPC client of the API: `client.tasks.list.query({ user_id })`. */
export type TodoClient = TRPCClient<TodoRouter>

/**
 * The links of the API's tRPC client, for a setup that builds its own client
 * (`createTRPCClient<TodoRouter>({ links: [loggerLink(), ...todoLinks(options)] })`).
 */
export function todoLinks(options: TodoTrpcClientOptions): TRPCLink<TodoRouter>[] {
  const link = options.batching === 'stream' ? httpBatchStreamLink : httpBatchLink
  return [
    link<TodoRouter>({
      url: `${origin(options.baseUrl)}/trpc`,
      maxItems: MAX_BATCH_ITEMS,
      maxURLLength: MAX_URL_LENGTH,
      ...(options.fetch && { fetch: options.fetch }),
      headers: async () => {
        const header = await authorization(options.getToken)
        return header ? { authorization: header } : {}
      },
    }),
  ]
}

/**
 * The API's typed tRPC client (`/trpc`, batching on), with the bearer token of `getToken`
 * on every request. Inputs and outputs are typed from the server's router; a failed call
 * rejects with a `TRPCClientError`, which `toTodoApiError` turns into a `TodoApiError`.
 *
 * @example
 * const client = createTodoClient({ baseUrl: 'http://localhost:8000', getToken: () => session.token })
 * const tasks = await client.tasks.list.query({ user_id: session.userId, completed: false })
 */
export function createTodoClient(options: TodoTrpcClientOptions): TodoClient {
  return createTRPCClient<TodoRouter>({ links: todoLinks(options) })
}

export { type ApiErrorBody, type ErrorCode, TodoApiError, toTodoApiError, type ValidationIssue } from './errors.js'
export type { TodoErrorShape, TodoRouter } from './generated/router.js'
export type { TodoClientOptions } from './options.js'
export type { Task } from './types.js'
