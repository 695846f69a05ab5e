import { TRPCError, tracked } from '@trpc/server'
import { headOfFeedForUser, listChangesForUser } from '../../db/queries/task-changes.js'
import { EventsOffError, TooManyStreamsError } from '../../events/hub.js'
import type { UserContext } from './tasks.js'
import { encodeChangeCursor } from './tasks-cursor.js'

/** Changes read from the feed at a time by a stream. */
const PAGE = 100

/**
 * The events of a user's stream: the feed after `start` (or after its head, for a client with
 * nothing to resume), then every change as the doorbell announces it. The stream is registered
 * before its first read, so that nothing committed in between is missed; what it reads is
 * what comes after its own position, so nothing comes twice or out of order.
 *
 * It ends with `UNAUTHORIZED` when its token expires (the client reconnects with a fresh token
 * and its last event id) and with `SERVICE_UNAVAILABLE` when the server drains (the client
 * reconnects, to another instance).
 */
export function changeEvents(ctx: UserContext, start: string | undefined, signal: AbortSignal | undefined) {
  let ticket: ReturnType<UserContext['events']['open']>
  try {
    ticket = ctx.events.open(ctx.user.id, ctx.connection, ctx.user.expiresAt)
  } catch (error) {
    if (error instanceof EventsOffError) throw new TRPCError({ code: 'NOT_FOUND', message: error.message })
    if (!(error instanceof TooManyStreamsError)) throw error
    throw new TRPCError({ code: 'TOO_MANY_REQUESTS', message: error.message, cause: error })
  }
  const userId = ctx.user.id
  const close = () => ticket.close()
  signal?.addEventListener('abort', close, { once: true })

  return (async function* events() {
    try {
      let position = start ?? (await headOfFeedForUser(ctx.db, userId))
      for (;;) {
        const after = position
        const page = await ticket.shared(after, () =>
          listChangesForUser(ctx.db, userId, { after, limit: PAGE, upsertsOnly: false }),
        )
        for (const { seq, change } of page.changes) {
          position = seq
          yield tracked(encodeChangeCursor(userId, seq), change)
        }
        if (page.more) continue
        const why = await ticket.wait(BigInt(position))
        if (why === 'rung') continue
        if (why === 'expired') {
          throw new TRPCError({ code: 'UNAUTHORIZED', message: 'The token has expired: reconnect with a fresh one' })
        }
        if (why === 'draining') {
          throw new TRPCError({ code: 'SERVICE_UNAVAILABLE', message: 'The server is restarting: reconnect' })
        }
        return
      }
    } finally {
      signal?.removeEventListener('abort', close)
      close()
    }
  })()
}
