import type { ChangesPage, Task, TaskPage, TaskStats, ValidationIssue } from '@todo/contracts'
import { TRPCClientError } from '@trpc/client'
import { request } from './http.js'
import { trpcClient } from './trpc.js'

/** What a call came to, at either door: the status and either the data or the error. */
export interface Outcome<T = unknown> {
  status: number
  data?: T
  code?: string
  message?: string
  issues?: ValidationIssue[]
  /** On 412: the task as it is now. */
  current?: Task
}

type Input = Record<string, unknown>

/** The contract's form of a time: ISO 8601 in UTC, milliseconds. */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/** The six operations (and the list query), callable the same way at either door. */
export interface Door {
  name: 'rest' | 'trpc'
  create(input: Input): Promise<Outcome<Task>>
  list(input: Input): Promise<Outcome<Task[]>>
  /** A list page with its cursor: `tasks.page` at tRPC, the `Link` header at REST. */
  page(input: Input): Promise<Outcome<TaskPage>>
  get(input: Input): Promise<Outcome<Task>>
  update(input: Input): Promise<Outcome<Task>>
  remove(input: Input): Promise<Outcome<void>>
  complete(input: Input): Promise<Outcome<Task>>
  /** The change feed: `tasks.changes`, `GET …/tasks/changes`. */
  changes(input: Input): Promise<Outcome<ChangesPage>>
  stats(input: Input): Promise<Outcome<TaskStats>>
  completeMany(input: Input): Promise<Outcome<Task[]>>
  clearCompleted(input: Input): Promise<Outcome<{ deleted: string[] }>>
}

/** REST: `user_id` and `id` go to the path, list input to the query, the rest to the body. */
export function restDoor(baseUrl: string, token: string | undefined): Door {
  const call = async <T>(
    method: string,
    input: Input,
    suffix = '',
    body: 'body' | 'query' | 'none' = 'body',
  ): Promise<{ outcome: Outcome<T>; headers: Headers }> => {
    const { user_id, id, if_version, ...rest } = input
    let path = `/api/${encodeURIComponent(String(user_id))}/tasks`
    // A create's id is a field of its body; elsewhere it names the task in the path.
    if (method === 'POST' && id !== undefined) rest.id = id
    else if (id !== undefined) path += `/${encodeURIComponent(String(id))}`
    path += suffix
    if (body === 'query') {
      // Arrays as repeated parameters (`label=a&label=b`), as OpenAPI's `explode` has them.
      const query = new URLSearchParams(
        Object.entries(rest)
          .filter(([, v]) => v !== undefined)
          .flatMap(([k, v]): [string, string][] => (Array.isArray(v) ? v : [v]).map((item) => [k, String(item)])),
      )
      if (query.size > 0) path += `?${query}`
    }
    const response = await request(baseUrl, method, path, {
      ...(token && { token }),
      ...(body === 'body' && { body: rest }),
      // A conditional write's version travels as REST has it: `If-Match`.
      ...(if_version !== undefined && { headers: { 'if-match': `"${if_version}"` } }),
    })
    const outcome =
      response.status < 300
        ? { status: response.status, data: (response.body === '' ? undefined : response.body) as T }
        : { status: response.status, ...response.body }
    return { outcome, headers: response.headers }
  }
  const send = async <T>(...args: Parameters<typeof call>) => (await call<T>(...args)).outcome
  return {
    name: 'rest',
    create: (input) => send('POST', input),
    list: (input) => send('GET', input, '', 'query'),
    page: async (input) => {
      const { outcome, headers } = await call<Task[]>('GET', input, '', 'query')
      if (!outcome.data) return outcome as Outcome<never>
      const next = /<([^>]+)>;\s*rel="next"/.exec(headers.get('link') ?? '')?.[1]
      return {
        ...outcome,
        data: { items: outcome.data, next_cursor: next ? new URL(next).searchParams.get('cursor') : null },
      }
    },
    get: (input) => send('GET', input, '', 'none'),
    update: (input) => send('PUT', input),
    remove: (input) => send('DELETE', input, '', 'none'),
    complete: (input) => send('PATCH', input, '/complete'),
    changes: (input) => send('GET', input, '/changes', 'query'),
    stats: (input) => send('GET', input, '/stats', 'query'),
    completeMany: (input) => send('POST', input, '/complete-many'),
    clearCompleted: (input) => send('DELETE', input, '/completed', 'none'),
  }
}

/** tRPC through a real `@trpc/client` (batching on). */
export function trpcDoor(baseUrl: string, token: string | undefined): Door {
  const client = trpcClient(baseUrl, token)
  const settle = async <T>(call: Promise<T>): Promise<Outcome<T>> => {
    try {
      return { status: 200, data: await call }
    } catch (error) {
      if (!(error instanceof TRPCClientError)) throw error
      const data = error.data as
        | { code?: string; httpStatus?: number; issues?: ValidationIssue[]; current?: Task }
        | undefined
      return {
        status: data?.httpStatus ?? 0,
        message: error.message,
        ...(data?.code && { code: data.code }),
        ...(data?.issues && { issues: data.issues }),
        ...(data?.current && { current: data.current }),
      }
    }
  }
  const t = client.tasks as unknown as Record<string, { query(i: Input): Promise<any>; mutate(i: Input): Promise<any> }>
  return {
    name: 'trpc',
    create: (input) => settle(t.create!.mutate(input)),
    list: (input) => settle(t.list!.query(input)),
    page: (input) => settle(t.page!.query(input)),
    get: (input) => settle(t.get!.query(input)),
    update: (input) => settle(t.update!.mutate(input)),
    remove: (input) => settle(t.delete!.mutate(input)),
    complete: (input) => settle(t.complete!.mutate(input)),
    changes: (input) => settle(t.changes!.query(input)),
    stats: (input) => settle(t.stats!.query(input)),
    completeMany: (input) => settle(t.completeMany!.mutate(input)),
    clearCompleted: (input) => settle(t.clearCompleted!.mutate(input)),
  }
}

export const doors = [
  ['rest', restDoor],
  ['trpc', trpcDoor],
] as const
