import type { InfiniteData } from '@tanstack/react-query'
import type { Change, Task, TaskPage } from '@todo-api/client-sdk'

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
 * mutations, the API's answers to them, and the live events of the `tasks.events` subscription
 * (changes made in other tabs and on other devices, and this tab's own, which arrive twice).
 */

/** Applies one live event (a task as it is now, or the id of a deleted one): an upserted task is replaced, or placed if it belongs to what is loaded. */
export function applyChange(pages: TaskPages, change: Change): TaskPages {
  if (change.op === 'delete') return removeTask(pages, change.id)
  return isLoaded(pages, change.id) ? replaceTask(pages, change.task) : placeTask(pages, change.task)
}

/** Adds a new task at the top (the list is newest first); one already there is replaced. */
export function addTask(pages: TaskPages, task: Task): TaskPages {
  if (isLoaded(pages, task.id)) return replaceTask(pages, task)
  const [first, ...rest] = pages.pages
  return { ...pages, pages: [{ ...(first ?? { next_cursor: null }), items: [task, ...(first?.items ?? [])] }, ...rest] }
}

/**
 * Puts `task` where the task with its id is, if it is loaded, unless the loaded one is newer (a
 * higher `version`: an event or an answer that arrived late).
 */
export function replaceTask(pages: TaskPages, task: Task, id = task.id): TaskPages {
  return mapItems(pages, (items) => items.map((item) => (item.id === id && item.version <= task.version ? task : item)))
}

/** Changes a loaded task. */
export function updateTask(pages: TaskPages, id: string, change: (task: Task) => Task): TaskPages {
  return mapItems(pages, (items) => items.map((item) => (item.id === id ? change(item) : item)))
}

/** Takes a task out of the list. */
export function removeTask(pages: TaskPages, id: string): TaskPages {
  return mapItems(pages, (items) => items.filter((item) => item.id !== id))
}

/**
 * Inserts a task that is not loaded at its place in the order of the list (newest first, then
 * by id, as the API sorts it). One that belongs after the last loaded task of a list with more
 * pages is left out: it comes with those pages.
 */
function placeTask(pages: TaskPages, task: Task): TaskPages {
  const before = (item: Task) =>
    item.created_at < task.created_at || (item.created_at === task.created_at && item.id < task.id)
  for (const [index, page] of pages.pages.entries()) {
    const at = page.items.findIndex(before)
    const last = index === pages.pages.length - 1
    if (at === -1 && !(last && page.next_cursor === null)) continue
    const items = at === -1 ? [...page.items, task] : page.items.toSpliced(at, 0, task)
    return { ...pages, pages: pages.pages.with(index, { ...page, items }) }
  }
  return pages
}

function isLoaded(pages: TaskPages, id: string): boolean {
  return pages.pages.some((page) => page.items.some((item) => item.id === id))
}

function mapItems(pages: TaskPages, change: (items: Task[]) => Task[]): TaskPages {
  return { ...pages, pages: pages.pages.map((page) => ({ ...page, items: change(page.items) })) }
}
