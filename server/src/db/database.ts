import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { DatabaseConfig } from '../env.js'
import { lockDataDir } from './data-dir-lock.js'
import { DatabaseUnavailableError } from './failures.js'
import { type Listener, type ListenHandlers, listenOnPglite, listenOnPostgres } from './listen.js'
import type { DB } from './schema.js'
import { isoFromPostgres, TIMESTAMPTZ_OID } from './timestamps.js'

type PostgresConfig = Extract<DatabaseConfig, { kind: 'postgres' }>

/** An open database: PostgreSQL through `pg`, or the embedded PGlite. */
export interface Database {
  db: Kysely<DB>
  /** True for PGlite: the server migrates it itself at start. */
  embedded: boolean
  /** Resolves when the database answers within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>
  /** `promise`, or a rejection when it has not settled within `timeoutMs` (a probe must not hang). */
  withTimeout<T>(promise: Promise<T>, timeoutMs?: number): Promise<T>
  /** The pool's connections (PostgreSQL): all, idle, and requests waiting for one. */
  poolStats?: () => { total: number; idle: number; waiting: number }
  /** Listens on `channel` on a connection of its own (PostgreSQL), or in process (PGlite). */
  listen(channel: string, handlers: ListenHandlers): Listener
  close(): Promise<void>
}

export interface OpenOptions {
  /** Logs a failure of an idle pooled connection (it would otherwise crash the process). */
  onIdleError?: (error: Error) => void
  /** Logs, once, that named prepared statements fail behind this connection (see `PreparingClient`). */
  onPreparedStatementsRefused?: (error: Error) => void
}

export async function openDatabase(config: DatabaseConfig, opts: OpenOptions = {}): Promise<Database> {
  const release = config.kind === 'pglite' && config.dataDir ? lockDataDir(config.dataDir) : () => {}
  let db: Kysely<DB>
  let listen: Database['listen']
  let poolStats: Database['poolStats']
  try {
    if (config.kind === 'postgres') {
      const pool = postgresPool(config, opts)
      db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
      poolStats = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount })
      listen = (channel, handlers) => listenOnPostgres(config.listenUrl ?? config.url, channel, handlers)
    } else {
      const pglite = await openPglite(config.dataDir)
      db = new Kysely<DB>({ dialect: new PGliteDialect({ pglite }) })
      listen = (channel, handlers) => listenOnPglite(pglite, channel, handlers)
    }
  } catch (error) {
    release()
    throw error
  }
  return {
    db,
    embedded: config.kind === 'pglite',
    listen,
    ...(poolStats && { poolStats }),
    ping: (timeoutMs = PROBE_TIMEOUT_MS) => withTimeout(sql`select 1`.execute(db), timeoutMs).then(() => {}),
    withTimeout: (promise, timeoutMs = PROBE_TIMEOUT_MS) => withTimeout(promise, timeoutMs),
    close: () => db.destroy().finally(release),
  }
}

/** How long a probe waits for the database. */
const PROBE_TIMEOUT_MS = 2000

const statementNames = new Map<string, string>()
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i
/** SQLSTATEs of a named statement the server does not have (26000) or already has (42P05). */
const PREPARED_STATEMENT_MISMATCH = new Set(['26000', '42P05'])

/**
 * A `pg.Client` that sends Kysely's queries as named prepared statements: PostgreSQL parses
 * and plans each distinct SQL text once per connection instead of on every call.
 *
 * Behind a pooler that hands one client's statements to other server connections (PgBouncer
 * before 1.21 in transaction mode) a named statement is soon missing or already there. The
 * first such failure is reported once through `refused` (`DATABASE_PREPARED_STATEMENTS=false`
 * is the setting for such a pooler) and the pool sends unnamed statements from then on; the
 * failed query did not run, so it is sent again unnamed, unless it was inside a transaction,
 * which the failure has broken (that one call answers 503).
 */
function preparingClient(refused: ((error: Error) => void) | undefined): typeof pg.Client {
  let named = true
  return class PreparingClient extends pg.Client {
    override query(...args: any[]): any {
      const [text, values, callback] = args
      const name =
        named && typeof text === 'string' && Array.isArray(values) && callback === undefined && PREPARABLE.test(text)
          ? statementName(text)
          : undefined
      if (name === undefined) return (super.query as (...a: any[]) => any)(...args)
      return (super.query({ name, text, values }) as Promise<unknown>).catch((error: { code?: unknown }) => {
        if (!PREPARED_STATEMENT_MISMATCH.has(error.code as string)) throw error
        if (named) {
          named = false
          refused?.(error as Error)
        }
        if ((this as unknown as TransactionStatus).getTransactionStatus() !== 'I')
          throw new DatabaseUnavailableError(MISCONFIGURED, { cause: error })
        return super.query(text, values)
      })
    }
  }
}

/** `pg.Client#getTransactionStatus` (pg 8.12+), which @types/pg does not declare: `I` idle, `T` in a transaction, `E` in a failed one. */
interface TransactionStatus {
  getTransactionStatus(): 'I' | 'T' | 'E' | null
}

/** The statement name of a SQL text: `todo_<n>`, for the first 500 distinct texts. */
function statementName(text: string): string | undefined {
  let name = statementNames.get(text)
  if (name === undefined && statementNames.size < 500) {
    name = `todo_${statementNames.size}`
    statementNames.set(text, name)
  }
  return name
}

const MISCONFIGURED =
  'Named prepared statements fail on this connection: set DATABASE_PREPARED_STATEMENTS=false behind a pooler without prepared-statement support'

/** A pool whose failures to connect say that the database is unavailable, whatever their cause. */
class Pool extends pg.Pool {
  override connect(...args: any[]): any {
    if (args.length > 0) return (super.connect as (...a: any[]) => any)(...args)
    return super.connect().catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error)
      throw new DatabaseUnavailableError(`No connection to the database could be had: ${reason}`, { cause: error })
    })
  }
}

function postgresPool(config: PostgresConfig, opts: OpenOptions): pg.Pool {
  const pool = new Pool({
    connectionString: config.url,
    max: config.poolMax ?? 10,
    // A database that does not answer is a quick 503, not a request hanging in the pool.
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    application_name: 'todo-api',
    Client: config.preparedStatements !== false ? preparingClient(opts.onPreparedStatementsRefused) : pg.Client,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === TIMESTAMPTZ_OID
          ? isoFromPostgres
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  })
  pool.on('error', (error) => opts.onIdleError?.(error))
  return pool
}

/**
 * PostgreSQL's default 128 MB of shared buffers live in PGlite's WebAssembly memory and
 * cost ~125 MB of RSS once touched; a single-user embedded database needs far less (the
 * operating system still caches its files). Measured on an existing data folder: RSS at
 * ready 300 -> 175 MB.
 */
const SHARED_BUFFERS = ['-c', 'shared_buffers=16MB']

async function openPglite(dataDir: string | undefined): Promise<PGlite> {
  // Loaded only for the embedded database: a server on PostgreSQL never loads it.
  const { PGlite } = await import('@electric-sql/pglite')
  const startParams = [...PGlite.defaultStartParams, ...SHARED_BUFFERS]
  if (dataDir !== undefined && !existsSync(join(dataDir, 'PG_VERSION'))) await initDataDir(dataDir, startParams)
  // One options object: `new PGlite(undefined, options)` ignores the options.
  const pglite = new PGlite({ dataDir, startParams, parsers: { [TIMESTAMPTZ_OID]: isoFromPostgres } })
  await pglite.waitReady
  return pglite
}

/**
 * Creates a new data folder (initdb) in a worker thread. initdb leaves PGlite's WebAssembly
 * memory at ~700 MB, which never shrinks; ending the worker gives it all back, and the
 * server then opens the folder like an existing one (RSS at ready 690 -> 250 MB).
 */
async function initDataDir(dataDir: string, startParams: string[]): Promise<void> {
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads')
    import(workerData.pglite).then(async ({ PGlite }) => {
      const pglite = new PGlite(workerData.dataDir, { startParams: workerData.startParams })
      await pglite.waitReady
      await pglite.close()
    })`,
    {
      eval: true,
      workerData: {
        pglite: import.meta.resolve('@electric-sql/pglite'),
        dataDir,
        startParams,
      },
    },
  )
  const [code] = (await once(worker, 'exit')) as [number]
  if (code !== 0) throw new Error(`Could not create the embedded database in ${dataDir} (exit code ${code})`)
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No answer from the database within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
