import { generateKeyBetween } from 'fractional-indexing'

/**
 * A `position` key between two others (`null`: the start or the end), for `sort=position`:
 * moving a task between its new neighbours changes that task alone. Keys are base-62
 * fractional indexes (the `fractional-indexing` package), which the API compares character by
 * character.
 *
 * @example
 * // move `task` between `above` and `below` (either may be null)
 * await client.tasks.update.mutate({ user_id, id: task.id, position: positionBetween(above?.position ?? null, below?.position ?? null) })
 */
export function positionBetween(before: string | null, after: string | null): string {
  return generateKeyBetween(before, after)
}
