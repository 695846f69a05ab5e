import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../db/database.js'
import type { Listener } from '../db/listen.js'
import { CHANGES_CHANNEL, notifyFeedHeads } from '../db/queries/task-changes.js'

/**
 * The least time between two doorbell statements of a process. Each is a transaction that
 * takes PostgreSQL's cluster-wide notification lock to commit; under a steady load of writes
 * ringing after every round trip meant hundreds of them a second. Events wait at most this
 * much longer.
 */
const DOORBELL_GAP_MS = 10

/** Why a stream was ended by the server, not by its client. */
export type EndReason = 'draining' | 'expired' | 'stalled'

/** How a stream's wait for news ended. */
export type Wakeup = 'rung' | EndReason | 'aborted'

/** The connection a stream goes out on, as far as the hub needs it. */
export interface StreamConnection {
  /** Bytes written but not yet taken by the client. */
  buffered(): number
  /** Closes the connection at once (a client that does not read). */
  destroy(): void
}

/** One open stream of a user's changes. */
export interface StreamTicket {
  /**
   * Resolves when the feed may hold changes after `seq`, the position the stream has read up
   * to (rung now, or while the stream was busy), or with why the stream must end. The token's
   * expiry ends it too (`expired`).
   */
  wait(seq: bigint): Promise<Wakeup>
  /** Reads once for every stream of this user at the same position at the same moment. */
  shared<T>(seq: string, read: () => Promise<T>): Promise<T>
  close(): void
}

export interface EventHubOptions {
  /** `EVENTS=false`: no stream opens (404), no listening connection is made, no doorbell rung. */
  enabled: boolean
  maxStreamsPerUser: number
  log: FastifyBaseLogger
  /** A stream whose client has not taken this many bytes is closed (default 1 MB). */
  maxBufferedBytes?: number
  /** A stream rung but busy (its client not reading) this long is closed (default 30 s). */
  stallMs?: number
}

/** Live events are turned off on this server (`EVENTS=false`). */
export class EventsOffError extends Error {
  override name = 'EventsOffError'
  constructor() {
    super('Live events are turned off on this server (EVENTS=false); use the change feed')
  }
}

/** Too many open streams for one user on this instance. */
export class TooManyStreamsError extends Error {
  override name = 'TooManyStreamsError'
  constructor(readonly max: number) {
    super(`At most ${max} open event streams per user; close one first`)
  }
}

interface Stream {
  /** Where the stream has read the feed up to, as of its last wait. */
  position: bigint
  /** The doorbell announced a change past `position` (or everything must be read again). */
  pending: boolean
  /** Set while the stream waits: wakes it. */
  wake: ((why: Wakeup) => void) | undefined
  /** When a ring found the stream busy (not waiting), for the stall check. */
  busySince: number | undefined
  ended: EndReason | undefined
  connection: StreamConnection
}

/**
 * The streams of this process and the doorbell that wakes them. One listening connection per
 * process (not per stream): a notification names a user and a feed position, and wakes that
 * user's streams here; each then reads the feed after its own position, the feed being the
 * truth. When the listening connection is lost and made again, every stream reads the feed
 * (what was notified meanwhile is lost, not what was written). Streams of one user at one
 * position share one read. The process rings the doorbell for its own writes (`announce`),
 * in batches: changes made outside the API (SQL by hand) reach open streams with the user's
 * next change, or when they reconnect.
 */
export function createEventHub(database: Database, opts: EventHubOptions) {
  const { enabled, maxStreamsPerUser, log, maxBufferedBytes = 1024 * 1024, stallMs = 30_000 } = opts
  const streams = new Map<string, Set<Stream>>()
  const reads = new Map<string, Promise<unknown>>()
  let total = 0
  let draining = false

  const wake = (stream: Stream, why: Wakeup) => {
    const wake = stream.wake
    stream.wake = undefined
    wake?.(why)
  }
  const end = (stream: Stream, why: EndReason) => {
    stream.ended ??= why
    wake(stream, why)
  }
  const ring = (stream: Stream, now: number) => {
    stream.pending = true
    if (stream.wake) wake(stream, 'rung')
    else stream.busySince ??= now
  }
  const ringUser = (userId: string, seq: bigint) => {
    const now = Date.now()
    for (const stream of streams.get(userId) ?? []) if (seq > stream.position) ring(stream, now)
  }
  const ringAll = () => {
    const now = Date.now()
    for (const set of streams.values()) for (const stream of set) ring(stream, now)
  }

  // Users whose writes have committed and whose doorbell is still to ring. One notifying
  // statement at a time, and at most one every DOORBELL_GAP_MS: what is announced meanwhile
  // goes in the next one. A first write after a quiet moment rings at once.
  const announced = new Set<string>()
  let ringing = false
  let lastRing = Number.NEGATIVE_INFINITY
  const ringDoorbell = async () => {
    ringing = true
    try {
      while (announced.size > 0) {
        const early = lastRing + DOORBELL_GAP_MS - performance.now()
        if (early > 0) await sleep(early)
        lastRing = performance.now()
        const users = [...announced]
        announced.clear()
        try {
          await notifyFeedHeads(database.db, users)
        } catch (error) {
          // Only the doorbell is lost: the streams find the changes at the next ring or reconnect.
          log.warn({ err: error }, 'could not ring the doorbell of live events')
        }
      }
    } finally {
      ringing = false
    }
  }

  let listener: Listener | undefined
  const listen = () => {
    listener ??= database.listen(CHANGES_CHANNEL, {
      notify(payload) {
        const space = payload.lastIndexOf(' ')
        try {
          ringUser(payload.slice(0, space), BigInt(payload.slice(space + 1)))
        } catch {
          log.warn({ payload }, 'unreadable change notification')
        }
      },
      listening: () => {
        log.debug('listening for task changes')
        ringAll()
      },
      lost: (error) => log.warn({ err: error }, 'the connection listening for task changes failed; reconnecting'),
    })
  }

  // A client that does not read: its connection keeps what it was sent, and the stream,
  // rung while it could not write, stays busy. Past a bound of either, it is closed; the
  // client comes back with its last event id and misses nothing.
  const sweeper = setInterval(
    () => {
      const now = Date.now()
      for (const set of streams.values()) {
        for (const stream of set) {
          const stalled = stream.busySince !== undefined && now - stream.busySince > stallMs
          if (stalled || stream.connection.buffered() > maxBufferedBytes) {
            end(stream, 'stalled')
            stream.connection.destroy()
          }
        }
      }
    },
    Math.min(5000, stallMs),
  )
  sweeper.unref()

  return {
    /** `userId`'s tasks changed (a write of theirs has committed): ring every instance's doorbell. */
    announce(userId: string): void {
      if (!enabled) return
      announced.add(userId)
      if (!ringing) void ringDoorbell()
    },

    /**
     * Opens a stream of `userId`'s changes, until `expiresAt` (ms, the token's expiry).
     * Throws `TooManyStreamsError` past the per-user bound.
     */
    open(userId: string, connection: StreamConnection, expiresAt: number | undefined): StreamTicket {
      if (!enabled) throw new EventsOffError()
      if (draining) {
        return {
          wait: async () => 'draining',
          shared: (_seq, read) => read(),
          close: () => {},
        }
      }
      listen()
      const set = streams.get(userId) ?? new Set<Stream>()
      if (set.size >= maxStreamsPerUser) throw new TooManyStreamsError(maxStreamsPerUser)
      streams.set(userId, set)
      const stream: Stream = {
        position: 0n,
        pending: false,
        wake: undefined,
        busySince: undefined,
        ended: undefined,
        connection,
      }
      set.add(stream)
      total++
      const expiry =
        expiresAt === undefined
          ? undefined
          : setTimeout(() => end(stream, 'expired'), Math.max(0, expiresAt - Date.now()))
      expiry?.unref()
      let closed = false
      return {
        wait(seq) {
          stream.busySince = undefined
          stream.position = seq
          if (stream.ended) return Promise.resolve(stream.ended)
          if (stream.pending) {
            stream.pending = false
            return Promise.resolve('rung')
          }
          return new Promise((resolve) => {
            stream.wake = (why) => {
              stream.pending = false
              resolve(why)
            }
          })
        },
        shared<T>(seq: string, read: () => Promise<T>): Promise<T> {
          const key = `${userId}\u0000${seq}`
          let pending = reads.get(key) as Promise<T> | undefined
          if (!pending) {
            pending = read().finally(() => reads.delete(key))
            reads.set(key, pending)
          }
          return pending
        },
        close() {
          if (closed) return
          closed = true
          clearTimeout(expiry)
          wake(stream, 'aborted')
          set.delete(stream)
          if (set.size === 0) streams.delete(userId)
          total--
        },
      }
    },

    /** Open streams of this process. */
    get openStreams(): number {
      return total
    },

    /** SIGTERM: every stream ends now (its client reconnects elsewhere), and none opens. */
    drain(): void {
      draining = true
      for (const set of streams.values()) for (const stream of set) end(stream, 'draining')
    },

    async close(): Promise<void> {
      clearInterval(sweeper)
      await listener?.close()
    },
  }
}

export type EventHub = ReturnType<typeof createEventHub>
