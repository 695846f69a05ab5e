import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { DatabaseConfig } from '../env.js'
import { lockDataDir } from './data-dir-lock.js'
import type { DB } from './schema.js'
import { isoFromPostgres, TIMESTAMPTZ_OID } from './timestamps.js'

/** An open database: PostgreSQL through `pg`, or the embedded PGlite. */
export interface Database {
  db: Kysely<DB>
  /** True for PGlite: the server migrates it itself at start. */
  embedded: boolean
  /** Resolves when the database answers within `timeoutMs`. */
  ping(timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

export interface OpenOptions {
  /** Logs a failure of an idle pooled connection (it would otherwise crash the process). */
  onIdleError?: (error: Error) => void
}

export async function openDatabase(config: DatabaseConfig, opts: OpenOptions = {}): Promise<Database> {
  const release = config.kind === 'pglite' && config.dataDir ? lockDataDir(config.dataDir) : () => {}
  let db: Kysely<DB>
  try {
    const dialect = config.kind === 'postgres' ? postgresDialect(config.url, opts) : await pgliteDialect(config.dataDir)
    db = new Kysely<DB>({ dialect })
  } catch (error) {
    release()
    throw error
  }
  return {
    db,
    embedded: config.kind === 'pglite',
    ping: (timeoutMs = 2000) => withTimeout(sql`select 1`.execute(db), timeoutMs).then(() => {}),
    close: () => db.destroy().finally(release),
  }
}

const statementNames = new Map<string, string>()
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i

/**
 * Sends Kysely's queries as named prepared statements: PostgreSQL parses and plans each
 * distinct SQL text once per connection instead of on every call.
 */
class PreparingClient extends pg.Client {
  override query(...args: any[]): any {
    const [text, values, callback] = args
    if (typeof text === 'string' && Array.isArray(values) && callback === undefined && PREPARABLE.test(text)) {
      let name = statementNames.get(text)
      if (name === undefined && statementNames.size < 500) {
        name = `todo_${statementNames.size}`
        statementNames.set(text, name)
      }
      if (name !== undefined) return super.query({ name, text, values })
    }
    return (super.query as (...a: any[]) => any)(...args)
  }
}

function postgresDialect(url: string, opts: OpenOptions): PostgresDialect {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // A database that does not answer is a quick 503, not a request hanging in the pool.
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    application_name: 'todo-api',
    Client: PreparingClient,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === TIMESTAMPTZ_OID
          ? isoFromPostgres
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  })
  pool.on('error', (error) => opts.onIdleError?.(error))
  return new PostgresDialect({ pool })
}

/**
 * PostgreSQL's default 128 MB of shared buffers live in PGlite's WebAssembly memory and
 * cost ~125 MB of RSS once touched; a single-user embedded database needs far less (the
 * operating system still caches its files). Measured on an existing data folder: RSS at
 * ready 300 -> 175 MB.
 */
const SHARED_BUFFERS = ['-c', 'shared_buffers=16MB']

async function pgliteDialect(dataDir: string | undefined): Promise<PGliteDialect> {
  // Loaded only for the embedded database: a server on PostgreSQL never loads it.
  const { PGlite } = await import('@electric-sql/pglite')
  const startParams = [...PGlite.defaultStartParams, ...SHARED_BUFFERS]
  if (dataDir !== undefined && !existsSync(join(dataDir, 'PG_VERSION'))) await initDataDir(dataDir, startParams)
  // One options object: `new PGlite(undefined, options)` ignores the options.
  const pglite = new PGlite({ dataDir, startParams, parsers: { [TIMESTAMPTZ_OID]: isoFromPostgres } })
  await pglite.waitReady
  return new PGliteDialect({ pglite })
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
