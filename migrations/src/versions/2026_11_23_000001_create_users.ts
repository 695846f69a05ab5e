import { type Kysely, sql } from 'kysely'

// Every trusted issuer shares this namespace; `id` is the token's `sub` (Better Auth ids
// are 32-character strings, the built-in issuer's are uuids), so it is text. Times have
// millisecond precision: what the API shows is exactly what is stored, and list cursors
// made from it compare exactly.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (col) => col.primaryKey().check(sql`char_length(id) between 1 and 255`))
    .addColumn('email', 'text')
    .addColumn('name', 'text')
    .addColumn('created_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', sql`timestamptz(3)`, (col) => col.notNull().defaultTo(sql`now()`))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('users').execute()
}
