import type { FastifyInstance } from 'fastify'
import { unsafePurgeTombstones } from '../db/queries/task-changes.js'

/** Tombstones are forgotten a day after the retention: a cursor younger than it is never missing one. */
const MARGIN_SECONDS = 86_400
const EVERY_MS = 60 * 60_000

/**
 * The change feed's deletions are kept for `retentionSeconds` (SYNC_RETENTION), then
 * forgotten by the server itself: once shortly after start, then every hour. Cursors expire
 * at the retention (410), the tombstones a day later, so that no transaction long enough to
 * straddle the two can make a live cursor miss one. Every instance purges; that is harmless.
 */
export async function feedRetentionPlugin(app: FastifyInstance, { retentionSeconds }: { retentionSeconds: number }) {
  const purge = async () => {
    try {
      const purged = await unsafePurgeTombstones(app.database.db, retentionSeconds + MARGIN_SECONDS)
      if (purged > 0) app.log.info({ purged }, 'forgot tombstones older than the sync retention')
    } catch (error) {
      app.log.warn({ err: error }, 'could not purge old tombstones; trying again later')
    }
  }
  let first: NodeJS.Timeout | undefined
  const every = setInterval(purge, EVERY_MS)
  every.unref()
  app.addHook('onReady', async () => {
    first = setTimeout(purge, 1000)
    first.unref()
  })
  app.addHook('onClose', async () => {
    clearTimeout(first)
    clearInterval(every)
  })
}
