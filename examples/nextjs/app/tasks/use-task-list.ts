'use client'

import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query'
import type { Task, TaskPage } from '@todo-api/client-sdk'
import { useState } from 'react'
import {
  addTask,
  firstPages,
  pendingTaskId,
  removeTask,
  replaceTask,
  TASK_PAGE_SIZE,
  type TaskPages,
  updateTask,
} from '@/lib/tasks'
import { useTRPC } from './todo-providers'

/**
 * The user's task list (infinite, `tasks.page`) and the mutations that change it, each applied
 * to the cache at once and rolled back if the API refuses it.
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
   * The optimistic part of a mutation: `change` is applied to the cache before the call, the
   * cache is put back if the call fails, the API's answer takes the place of the guess when it
   * succeeds, and the list is refetched once no other change is on its way (a refetch in between
   * would undo the others' optimistic changes for a moment). The refetch is not waited for: the
   * mutation is done when the API has answered.
   * @see https://tanstack.com/query/v5/docs/framework/react/guides/optimistic-updates
   */
  function optimistic<Variables extends { id?: string }>(
    change: (pages: TaskPages, variables: Variables) => TaskPages,
  ) {
    return {
      onMutate: async (variables: Variables) => {
        await queryClient.cancelQueries({ queryKey })
        const previous = queryClient.getQueryData<TaskPages>(queryKey)
        const id = variables.id ?? pendingTaskId()
        queryClient.setQueryData<TaskPages>(queryKey, (pages) => pages && change(pages, { ...variables, id }))
        return { previous, id }
      },
      onError: (_error: unknown, _variables: Variables, context: { previous?: TaskPages } | undefined) => {
        if (context?.previous) queryClient.setQueryData(queryKey, context.previous)
      },
      onSuccess: (answer: unknown, _variables: Variables, context: { id: string } | undefined) => {
        if (context && isTask(answer)) {
          queryClient.setQueryData<TaskPages>(queryKey, (pages) => pages && replaceTask(pages, answer, context.id))
        }
      },
      onSettled: () => {
        if (queryClient.isMutating({ mutationKey: trpc.tasks.pathKey() }) === 1) {
          void queryClient.invalidateQueries({ queryKey })
        }
      },
    }
  }

  const now = () => new Date().toISOString()

  const create = useMutation(
    trpc.tasks.create.mutationOptions(
      optimistic((pages, task: { id?: string; title: string; description?: string | null }) =>
        addTask(pages, {
          id: task.id ?? pendingTaskId(),
          user_id: userId,
          title: task.title.trim(),
          description: task.description ?? null,
          completed: false,
          completed_at: null,
          created_at: now(),
          updated_at: now(),
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
  return { list, tasks, create, update, complete, remove }
}

function isTask(value: unknown): value is Task {
  return typeof value === 'object' && value !== null && 'id' in value && 'title' in value
}
