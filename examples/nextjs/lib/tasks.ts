import type { InfiniteData } from '@tanstack/react-query'
import type { Task, TaskPage } from '@todo-api/client-sdk'

/** Tasks per page of the list (the server component's first page and `tasks.page` alike). */
export const TASK_PAGE_SIZE = 10

/** The list's cache: the pages of `tasks.page` loaded so far, newest task first. */
export type TaskPages = InfiniteData<TaskPage, string | null>

/** The first page of the list, as the infinite query starts from. */
export function firstPages(page: TaskPage): TaskPages {
  return { pages: [page], pageParams: [null] }
}

/*
 * Every change to the list's cache goes through these functions: the optimistic updates of the
 * mutations now, and the events of a `tasks.events` subscription when the list is kept live
 * across tabs (each event is an added, changed or removed task).
 */

/** Adds a new task at the top (the list is newest first). */
export function addTask(pages: TaskPages, task: Task): TaskPages {
  if (pages.pages.some((page) => page.items.some((item) => item.id === task.id))) return replaceTask(pages, task)
  const [first, ...rest] = pages.pages
  return { ...pages, pages: [{ ...(first ?? { next_cursor: null }), items: [task, ...(first?.items ?? [])] }, ...rest] }
}

/** Puts `task` where the task with its id is, if it is loaded. */
export function replaceTask(pages: TaskPages, task: Task, id = task.id): TaskPages {
  return mapItems(pages, (items) => items.map((item) => (item.id === id ? task : item)))
}

/** Changes a loaded task. */
export function updateTask(pages: TaskPages, id: string, change: (task: Task) => Task): TaskPages {
  return mapItems(pages, (items) => items.map((item) => (item.id === id ? change(item) : item)))
}

/** Takes a task out of the list. */
export function removeTask(pages: TaskPages, id: string): TaskPages {
  return mapItems(pages, (items) => items.filter((item) => item.id !== id))
}

function mapItems(pages: TaskPages, change: (items: Task[]) => Task[]): TaskPages {
  return { ...pages, pages: pages.pages.map((page) => ({ ...page, items: change(page.items) })) }
}

/** An id for a task that exists only in this browser until the API answers. */
export function pendingTaskId(): string {
  return `pending:${crypto.randomUUID()}`
}

export function isPending(task: Task): boolean {
  return task.id.startsWith('pending:')
}
