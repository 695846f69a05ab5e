import type { PGlite } from '@electric-sql/pglite'
import pg from 'pg'

/** What a listener hears, and when it (re)starts hearing. */
export interface ListenHandlers {
  /** A notification's payload. */
  notify(payload: string): void
  /**
   * Listening (again): notifications sent while it was not were lost, so whatever they
   * would have said must be read from the source of truth now.
   */
  listening(): void
  /** The listening connection failed; it is being made again. */
  lost(error: unknown): void
}

export interface Listener {
  close(): Promise<void>
}

const BACKOFF_FIRST_MS = 100
const BACKOFF_MAX_MS = 5000

/**
 * `LISTEN` on one dedicated connection (never a pooled one: a pooler in transaction mode
 * would hand it to others, and the pool would close it when idle). When the connection drops
 * it is made again, after 0.1 s, then twice as long each time up to 5 s, and LISTEN is issued
 * again before `listening` says so.
 */
export function listenOnPostgres(url: string, channel: string, handlers: ListenHandlers): Listener {
  let client: pg.Client | undefined
  let stopped = false
  let attempt = 0
  let timer: NodeJS.Timeout | undefined

  const retry = (error: unknown) => {
    client = undefined
    if (stopped) return
    handlers.lost(error)
    timer = setTimeout(connect, Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** attempt++))
  }

  async function connect() {
    const candidate = new pg.Client({ connectionString: url, application_name: 'todo-api-listener', keepAlive: true })
    candidate.on('error', () => {}) // followed by `end`, handled there
    try {
      await candidate.connect()
      candidate.on('notification', (message) => {
        if (message.channel === channel && message.payload !== undefined) handlers.notify(message.payload)
      })
      await candidate.query(`listen ${pg.escapeIdentifier(channel)}`)
    } catch (error) {
      await candidate.end().catch(() => {})
      retry(error)
      return
    }
    if (stopped) {
      await candidate.end().catch(() => {})
      return
    }
    client = candidate
    attempt = 0
    candidate.once('end', () => retry(new Error('the listening connection ended')))
    handlers.listening()
  }

  void connect()
  return {
    async close() {
      stopped = true
      clearTimeout(timer)
      await client?.end().catch(() => {})
    },
  }
}

/** PGlite's own `listen`: the embedded database notifies in the same process. */
export function listenOnPglite(pglite: PGlite, channel: string, handlers: ListenHandlers): Listener {
  const unlisten = pglite.listen(channel, (payload) => handlers.notify(payload))
  void unlisten.then(() => handlers.listening(), handlers.lost)
  return {
    async close() {
      await (await unlisten)().catch(() => {})
    },
  }
}
