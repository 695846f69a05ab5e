import { PGlite } from '@electric-sql/pglite'
import { Kysely, PGliteDialect, PostgresDialect, sql } from 'kysely'
import pg from 'pg'
import type { DatabaseConfig } from '../env.js'
import { lockDataDir } from './data-dir-lock.js'
import type { DB } from './schema.js'

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

function postgresDialect(url: string, opts: OpenOptions): PostgresDialect {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // A database that does not answer is a quick 503, not a request hanging in the pool.
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    application_name: 'todo-api',
  })
  pool.on('error', (error) => opts.onIdleError?.(error))
  return new PostgresDialect({ pool })
}

async function pgliteDialect(dataDir: string | undefined): Promise<PGliteDialect> {
  const pglite = new PGlite(dataDir)
  await pglite.waitReady
  return new PGliteDialect({ pglite })
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`No answer from the database within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
