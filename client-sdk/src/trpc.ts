import {
  createTRPCClient,
  httpBatchLink,
  httpBatchStreamLink,
  httpSubscriptionLink,
  retryLink,
  splitLink,
  type TRPCClient,
  type TRPCClientError,
  type TRPCLink,
} from '@trpc/client'
import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server'
import { EventSource } from 'eventsource'
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

/** A subscription whose stream ended because its token expired is opened again this often at most. */
const RESUBSCRIBE_AFTER_EXPIRY = 3

/**
 * Whether a subscription that failed is opened again (with the last event id, so nothing is
 * missed): after a network failure, after a retryable server error (tRPC's own rule: the
 * server restarting), and after its token expired (the next attempt asks `getToken` again; a
 * few times at most, so a signed-out client stops).
 */
function resubscribe({ error, attempts }: { error: TRPCClientError<TodoRouter>; attempts: number }): boolean {
  const code = error.data?.code
  if (code === undefined) return true
  if (code === 'UNAUTHORIZED') return attempts <= RESUBSCRIBE_AFTER_EXPIRY
  return code === 'SERVICE_UNAVAILABLE' || code === 'INTERNAL_SERVER_ERROR'
}

/**
 * The links of the API's tRPC client, for a setup that builds its own client
 * (`createTRPCClient<TodoRouter>({ links: [loggerLink(), ...todoLinks(options)] })`): queries
 * and mutations batched over HTTP, subscriptions (`tasks.events`) over SSE with the bearer
 * token in the `Authorization` header (never in the URL: the `eventsource` package, which
 * takes a `fetch`, in Node.js and in browsers alike), opened again after a failure.
 */
export function todoLinks(options: TodoTrpcClientOptions): TRPCLink<TodoRouter>[] {
  const url = `${origin(options.baseUrl)}/trpc`
  const link = options.batching === 'stream' ? httpBatchStreamLink : httpBatchLink
  const send = options.fetch ?? globalThis.fetch
  /** `fetch` with the current token: asked for on every (re)connection of a stream. */
  const authorizedFetch: typeof globalThis.fetch = async (input, init) => {
    const headers = new Headers(init?.headers)
    const header = await authorization(options.getToken)
    if (header) headers.set('authorization', header)
    return send(input, { ...init, headers })
  }
  return [
    splitLink<TodoRouter>({
      condition: (op) => op.type === 'subscription',
      true: [
        retryLink<TodoRouter>({
          retry: resubscribe,
          retryDelayMs: (attempt) => Math.min(10_000, 250 * 2 ** attempt),
        }),
        httpSubscriptionLink<TodoRouter, typeof EventSource>({
          url,
          EventSource,
          eventSourceOptions: () => ({ fetch: authorizedFetch }),
        }),
      ],
      false: link<TodoRouter>({
        url,
        maxItems: MAX_BATCH_ITEMS,
        maxURLLength: MAX_URL_LENGTH,
        ...(options.fetch && { fetch: options.fetch }),
        headers: async () => {
          const header = await authorization(options.getToken)
          return header ? { authorization: header } : {}
        },
      }),
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
export {
  applyChanges,
  type Change,
  type SyncedTask,
  type SyncOptions,
  syncTasks,
  type WatchOptions,
  watchTasks,
} from './sync.js'
export type { Task } from './types.js'
