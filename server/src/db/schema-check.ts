import { migrateToLatest, schemaState } from '@todo/migrations'
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from './database.js'
import { isDatabaseUnavailable } from './failures.js'

/** The database's schema is older than this code: it must be migrated before the server starts. */
export class SchemaBehindError extends Error {
  override name = 'SchemaBehindError'
}

/**
 * At start, on PostgreSQL: a database behind this code's migrations stops the server (or is
 * migrated, with `migrateOnStart`, for a single instance); one ahead of it (a rollback deploy)
 * only warns. A database that cannot be reached now is not judged: the server starts, answers
 * 503 and its readiness probe keeps checking.
 */
export async function checkSchemaAtStart(
  database: Database,
  { migrateOnStart, log }: { migrateOnStart: boolean; log: FastifyBaseLogger },
): Promise<void> {
  let state: Awaited<ReturnType<typeof schemaState>>
  try {
    state = await schemaState(database.db)
  } catch (error) {
    if (!isDatabaseUnavailable(error)) throw error
    log.warn({ err: error }, 'the database is unavailable; its schema will be checked when it answers')
    return
  }
  if (state.pending.length > 0) {
    if (!migrateOnStart) {
      throw new SchemaBehindError(
        `The database is ${state.pending.length} migration(s) behind this code (${state.pending.join(', ')}): run \`pnpm db:migrate\` (from a build: \`node dist/cli/migrate.js latest\`) first, or set MIGRATE_ON_START=true on a single instance`,
      )
    }
    const { results } = await migrateToLatest(database.db)
    log.info({ migrations: results?.map((result) => result.migrationName) }, 'migrated the database at start')
  }
  if (state.unknown.length > 0) {
    log.warn(
      { migrations: state.unknown },
      'the database has migrations this code does not know (a newer version migrated it); serving anyway',
    )
  }
}
