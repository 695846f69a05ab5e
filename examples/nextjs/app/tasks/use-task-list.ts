'use client'

import { useInfiniteQuery, useMutation, useMutationState, useQueryClient } from '@tanstack/react-query'
import type { Task, TaskPage } from '@todo-api/client-sdk'
import { useSubscription } from '@trpc/tanstack-react-query'
import { useState } from 'react'
import {
  addTask,
  applyChange,
  firstPages,
  removeTask,
  replaceTask,
  TASK_PAGE_SIZE,
  type TaskPages,
  updateTask,
} from '@/lib/tasks'
import { useTRPC } from './todo-providers'

/**
 * The user's task list (infinite, `tasks.page`), kept live by the `tasks.events` subscription
 * (what other tabs and devices change appears here at once), and the mutations that change it,
 * each applied to the cache at once and rolled back if the API refuses it.
 */
export function useTaskList(userId: string, firstPage: TaskPage) {
  const trpc = useTRPC()
  const queryClient = useQueryClient()
  const input = { user_id: userId, limit: TASK_PAGE_SIZE }
  const queryKey = trpc.tasks.page.infiniteQueryKey(input)
  // Rendered on the server a moment ago; fresh for the query's stale time from then.
  const [renderedAt] = useState(() => Date.now())

  const list = useInfiniteQuery(
    trpc.tasks.page.infiniteQueryOptions(input, {
      getNextPageParam: (page) => page.next_cursor,
      initialData: firstPages(firstPage),
      initialDataUpdatedAt: renderedAt,
    }),
  )

  /**
   * Live events: every change of this user's tasks, from any tab, device or door, applied to the
   * cache as it arrives. The stream starts at "now", so the list is read again once it is open
   * (what changed between the server's render and the stream is in that read); after a dropped
   * connection tRPC's link resumes after the last event it received, so nothing is missed and
   * nothing needs reading again. Each tab has a stream of its own (at most 20 per user on one
   * API instance).
   */
  const events = useSubscription(
    trpc.tasks.events.subscriptionOptions(
      { user_id: userId },
      {
        // Not cancelling a fetch under way: "Load more" clicked at that moment must still load.
        onStarted: () => void queryClient.invalidateQueries({ queryKey }, { cancelRefetch: false }),
        onData: ({ data: change }) =>
          queryClient.setQueryData<TaskPages>(queryKey, (pages) => pages && applyChange(pages, change)),
      },
    ),
  )

  /** Ids of the tasks being created: shown, but not editable until the API has them. */
  const creating = useMutationState({
    filters: { mutationKey: trpc.tasks.create.mutationKey(), status: 'pending' },
    select: (mutation) => (mutation.state.variables as { id?: string } | undefined)?.id,
  })

  /**
   * The optimistic part of a mutation: `change` is applied to the cache before the call, the
   * cache is put back if the call fails, the API's answer takes the place of the guess when it
   * succeeds, and the list is refetched once no other change is on its way (a refetch in between
   * would undo the others' optimistic changes for a moment). The refetch is not waited for: the
   * mutation is done when the API has answered.
   * @see https://tanstack.com/query/v5/docs/framework/react/guides/optimistic-updates
   */
  function optimistic<Variables>(change: (pages: TaskPages, variables: Variables) => TaskPages) {
    return {
      onMutate: async (variables: Variables) => {
        await queryClient.cancelQueries({ queryKey })
        const previous = queryClient.getQueryData<TaskPages>(queryKey)
        queryClient.setQueryData<TaskPages>(queryKey, (pages) => pages && change(pages, variables))
        return { previous }
      },
      onError: (_error: unknown, _variables: Variables, context: { previous?: TaskPages } | undefined) => {
        if (context?.previous) queryClient.setQueryData(queryKey, context.previous)
      },
      onSuccess: (answer: unknown) => {
        if (isTask(answer))
          queryClient.setQueryData<TaskPages>(queryKey, (pages) => pages && replaceTask(pages, answer))
      },
      onSettled: () => {
        if (queryClient.isMutating({ mutationKey: trpc.tasks.pathKey() }) === 1) {
          void queryClient.invalidateQueries({ queryKey })
        }
      },
    }
  }

  const now = () => new Date().toISOString()

  /**
   * Creates carry an id chosen by the app (`crypto.randomUUID()`): the optimistic task, the API's
   * answer and the live event of the new task are one task, and a create retried after a lost
   * answer is not a second one.
   */
  const create = useMutation(
    trpc.tasks.create.mutationOptions(
      // Without an id (not from this app's views), nothing to show until the API has answered.
      optimistic((pages, task: { id?: string; title: string; description?: string | null }) =>
        !task.id
          ? pages
          : addTask(pages, {
              id: task.id,
              user_id: userId,
              title: task.title.trim(),
              description: task.description ?? null,
              completed: false,
              completed_at: null,
              created_at: now(),
              updated_at: now(),
              due: null,
              priority: 0,
              labels: [],
              position: null,
              version: 0,
            }),
      ),
    ),
  )

  const update = useMutation(
    trpc.tasks.update.mutationOptions(
      optimistic((pages, { id, title, description }: { id: string; title?: string; description?: string | null }) =>
        updateTask(pages, id, (task) => ({
          ...task,
          ...(title !== undefined && { title: title.trim() }),
          ...(description !== undefined && { description }),
        })),
      ),
    ),
  )

  const complete = useMutation(
    trpc.tasks.complete.mutationOptions(
      optimistic((pages, { id, completed }: { id: string; completed?: boolean }) =>
        updateTask(pages, id, (task) => {
          const done = completed ?? !task.completed
          return { ...task, completed: done, completed_at: done ? (task.completed_at ?? now()) : null }
        }),
      ),
    ),
  )

  const remove = useMutation(
    trpc.tasks.delete.mutationOptions(optimistic((pages, { id }: { id: string }) => removeTask(pages, id))),
  )

  const tasks: Task[] = list.data?.pages.flatMap((page) => page.items) ?? []
  const live = events.status === 'pending'
  return { list, tasks, live, creating: new Set(creating), create, update, complete, remove }
}

function isTask(value: unknown): value is Task {
  return typeof value === 'object' && value !== null && 'id' in value && 'title' in value
}
