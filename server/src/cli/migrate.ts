import { migrateDown, migrateToLatest } from '@todo/migrations'
import type { MigrationResultSet } from 'kysely/migration'
import { openDatabase } from '../db/database.js'
import { configOrExit } from '../env.js'

const USAGE = 'usage: migrate latest | down   (the database of DATABASE_URL)'

const command = process.argv[2]
if (command !== 'latest' && command !== 'down') {
  console.error(USAGE)
  process.exit(2)
}

const config = configOrExit()
const database = await openDatabase(config.database)
let results: MigrationResultSet['results']
try {
  results = (command === 'latest' ? await migrateToLatest(database.db) : await migrateDown(database.db)).results
} catch (error) {
  console.error(`migration failed: ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
} finally {
  await database.close()
}
if (results?.length === 0) console.log(command === 'latest' ? 'already up to date' : 'nothing to roll back')
for (const result of results ?? []) {
  console.log(`${result.direction === 'Up' ? 'applied' : 'reverted'} ${result.migrationName}`)
}
