import type { Unsubscribable } from '@trpc/server/observable'
import { toTodoApiError } from './errors.js'
import type { RouterOutputs, TodoClient } from './trpc.js'

/** One change of the feed: a task as it is now (`upsert`), or the id of one that is gone (`delete`). */
export type Change = RouterOutputs['tasks']['changes']['changes'][number]

/** A task, as the tRPC client receives it. */
export type SyncedTask = RouterOutputs['tasks']['get']

/**
 * Applies changes to tasks kept by id, in order. Applying a change twice is harmless: it
 * carries the whole task (the feed delivers at least once).
 */
export function applyChanges(tasks: Map<string, SyncedTask>, changes: readonly Change[]): void {
  for (const change of changes) {
    if (change.op === 'delete') tasks.delete(change.id)
    else tasks.set(change.id, change.task)
  }
}

export interface SyncOptions {
  /** The signed-in user (the token's `sub`). */
  userId: string
  /** The cursor of the last sync; without it, every current task comes as an upsert. */
  since?: string | undefined
  /** Changes per request (at most 500). */
  limit?: number
}

/**
 * Reads the change feed (`tasks.changes`) from `since` until nothing more is waiting, and
 * returns the changes in order with the cursor to pass next time. A `since` older than the
 * server keeps deletions for rejects with `CURSOR_EXPIRED`: sync again without it.
 *
 * @example
 * const tasks = new Map()
 * let { changes, cursor } = await syncTasks(client, { userId })
 * applyChanges(tasks, changes)
 * // later
 * ;({ changes, cursor } = await syncTasks(client, { userId, since: cursor }))
 */
export async function syncTasks(
  client: TodoClient,
  { userId, since, limit }: SyncOptions,
): Promise<{ changes: Change[]; cursor: string }> {
  const changes: Change[] = []
  let cursor = since
  for (;;) {
    const page = await client.tasks.changes.query({ user_id: userId, since: cursor, ...(limit && { limit }) })
    changes.push(...page.changes)
    cursor = page.cursor
    if (!page.has_more) return { changes, cursor }
  }
}

export interface WatchOptions {
  userId: string
  /** Called with every task (newest first) after the first sync and after every change. */
  onTasks(tasks: SyncedTask[], changes: readonly Change[]): void
  /** A failure the watch cannot get past by itself (signed out, say); it stops then. */
  onError?(error: unknown): void
}

/**
 * Keeps a user's tasks in sync: one read of the change feed, then the live events of
 * `tasks.events` from where it ended, each applied as it arrives. A dropped stream resumes
 * after its last event (the client sends it back); a cursor too old for the server starts
 * again from scratch. `stop()` ends it.
 */
export function watchTasks(client: TodoClient, { userId, onTasks, onError }: WatchOptions): { stop(): void } {
  const tasks = new Map<string, SyncedTask>()
  let subscription: Unsubscribable | undefined
  let stopped = false

  const publish = (changes: readonly Change[]) => {
    const newestFirst = [...tasks.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : -1))
    onTasks(newestFirst, changes)
  }

  const start = async () => {
    tasks.clear()
    const { changes, cursor } = await syncTasks(client, { userId })
    if (stopped) return
    applyChanges(tasks, changes)
    publish(changes)
    subscription = client.tasks.events.subscribe(
      { user_id: userId, lastEventId: cursor },
      {
        onData: ({ data }) => {
          applyChanges(tasks, [data])
          publish([data])
        },
        onError: (error) => {
          subscription = undefined
          if (stopped) return
          if (toTodoApiError(error)?.code === 'CURSOR_EXPIRED') void start().catch(fail)
          else fail(error)
        },
      },
    )
  }
  const fail = (error: unknown) => {
    if (!stopped) onError?.(error)
  }

  void start().catch(fail)
  return {
    stop() {
      stopped = true
      subscription?.unsubscribe()
    },
  }
}
