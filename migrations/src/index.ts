import { type Kysely, sql } from 'kysely'
import { type Migration, type MigrationResultSet, Migrator } from 'kysely/migration'
import * as createUsers from './versions/2026_11_23_000001_create_users.js'
import * as createTasks from './versions/2026_11_23_000002_create_tasks.js'
import * as tasksCompletedAt from './versions/2026_11_23_000003_tasks_completed_at.js'
import * as createCredentials from './versions/2026_11_23_000004_create_credentials.js'
import * as createSigningKeys from './versions/2026_11_23_000005_create_signing_keys.js'
import * as taskVersions from './versions/2026_12_02_000006_task_versions.js'
import * as taskChanges from './versions/2026_12_02_000007_task_changes.js'
import * as backfillTaskChanges from './versions/2026_12_02_000008_backfill_task_changes.js'
import * as taskPlanning from './versions/2026_12_02_000009_task_planning.js'
import * as doorbellSwitch from './versions/2026_12_02_000010_task_changes_doorbell_switch.js'
import * as doorbellFromServers from './versions/2026_12_02_000011_task_changes_doorbell_from_servers.js'

/**
 * Every migration, by name, in order. Listed statically: a folder scan cannot import
 * `.ts` files under Vitest or find them in a bundle.
 */
export const migrations: Record<string, Migration> = {
  '2026_11_23_000001_create_users': createUsers,
  '2026_11_23_000002_create_tasks': createTasks,
  '2026_11_23_000003_tasks_completed_at': tasksCompletedAt,
  '2026_11_23_000004_create_credentials': createCredentials,
  '2026_11_23_000005_create_signing_keys': createSigningKeys,
  '2026_12_02_000006_task_versions': taskVersions,
  '2026_12_02_000007_task_changes': taskChanges,
  '2026_12_02_000008_backfill_task_changes': backfillTaskChanges,
  '2026_12_02_000009_task_planning': taskPlanning,
  '2026_12_02_000010_task_changes_doorbell_switch': doorbellSwitch,
  '2026_12_02_000011_task_changes_doorbell_from_servers': doorbellFromServers,
}

function migrator(db: Kysely<any>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } })
}

/** Applies every pending migration; throws the first failure. */
export async function migrateToLatest(db: Kysely<any>): Promise<MigrationResultSet> {
  return check(await migrator(db).migrateToLatest())
}

/** Reverts the last applied migration; throws on failure. */
export async function migrateDown(db: Kysely<any>): Promise<MigrationResultSet> {
  return check(await migrator(db).migrateDown())
}

function check(result: MigrationResultSet): MigrationResultSet {
  if (result.error) throw result.error
  return result
}

/** How a database's schema stands against the migrations of this code. */
export interface SchemaState {
  /** Migrations of this code the database has not had: the code is ahead (run them first). */
  pending: string[]
  /** Migrations the database has had that this code does not know: a newer code migrated it (a rollback deploy). */
  unknown: string[]
}

/** Compares the migrations the database has had (Kysely's `kysely_migration` table) with this code's. */
export async function schemaState(db: Kysely<any>): Promise<SchemaState> {
  const applied = new Set<string>()
  try {
    for (const row of (await sql<{ name: string }>`select name from kysely_migration`.execute(db)).rows) {
      applied.add(row.name)
    }
  } catch (error) {
    // undefined_table: never migrated.
    if ((error as { code?: unknown }).code !== '42P01') throw error
  }
  const known = Object.keys(migrations)
  return {
    pending: known.filter((name) => !applied.has(name)),
    unknown: [...applied].filter((name) => !(name in migrations)).sort(),
  }
}
