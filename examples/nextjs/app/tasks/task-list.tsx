'use client'

import type { TaskPage } from '@todo-api/client-sdk'
import { fieldErrors } from '@/lib/field-errors'
import { NewTaskForm } from './new-task-form'
import { TaskItem } from './task-item'
import { useTaskList } from './use-task-list'

/**
 * The user's tasks: infinite paging, create, edit, toggle and delete, each shown at once and
 * undone if the API refuses it, and every change made elsewhere shown as it happens. The data,
 * the live events and the mutations live in `useTaskList`.
 */
export function TaskList({ userId, firstPage }: { userId: string; firstPage: TaskPage }) {
  const { list, tasks, live, creating, create, update, complete, remove } = useTaskList(userId, firstPage)
  // A failed toggle or delete is rolled back in the list; say why above it.
  const failure = fieldErrors(complete.error ?? remove.error, []).form

  return (
    <section aria-label="Your tasks">
      <p className="live" data-testid="live" data-live={live}>
        {live ? 'Live: changes from your other tabs and devices appear here.' : 'Connecting…'}
      </p>
      <NewTaskForm
        onCreate={(task, options) => create.mutate({ user_id: userId, id: crypto.randomUUID(), ...task }, options)}
        error={create.error}
        pending={create.isPending}
      />
      {failure && (
        <p role="alert" className="error" data-testid="list-error">
          {failure}
        </p>
      )}
      {tasks.length === 0 ? (
        <p className="empty">Nothing to do.</p>
      ) : (
        <ul className="tasks">
          {tasks.map((task) => (
            <TaskItem
              key={task.id}
              task={task}
              pending={creating.has(task.id)}
              onToggle={() => complete.mutate({ user_id: userId, id: task.id, completed: !task.completed })}
              onDelete={() => remove.mutate({ user_id: userId, id: task.id })}
              onSave={(fields, options) => update.mutate({ user_id: userId, id: task.id, ...fields }, options)}
              saveError={update.variables?.id === task.id ? update.error : null}
            />
          ))}
        </ul>
      )}
      {list.hasNextPage && (
        <button type="button" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </button>
      )}
    </section>
  )
}
