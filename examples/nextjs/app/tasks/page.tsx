import { nextPageCursor } from '@todo-api/client-sdk/rest'
import { redirect } from 'next/navigation'
import { getSession } from '@/lib/session'
import { TASK_PAGE_SIZE } from '@/lib/tasks'
import { getTodoRestClient } from '@/lib/todo-server'
import { TaskList } from './task-list'

/**
 * A server component on the REST client: the first page of the user's tasks is in the HTML,
 * and the list (a client component, on tRPC) starts from it without a request of its own.
 * Both doors answer the same JSON, and the `Link` header's cursor is `tasks.page`'s.
 */
export default async function TasksPage() {
  const session = await getSession()
  if (!session) redirect('/sign-in')
  const userId = session.user.id
  const api = await getTodoRestClient()
  const { data, error, response } = await api.GET('/{user_id}/tasks', {
    params: { path: { user_id: userId }, query: { limit: TASK_PAGE_SIZE } },
  })
  if (error) {
    return (
      <main>
        <h1>Tasks</h1>
        <p role="alert">
          The API refused to list your tasks: {error.status} {error.code}, {error.message}
        </p>
      </main>
    )
  }
  return (
    <main>
      <h1>Tasks</h1>
      <TaskList userId={userId} firstPage={{ items: data, next_cursor: nextPageCursor(response) }} />
    </main>
  )
}
