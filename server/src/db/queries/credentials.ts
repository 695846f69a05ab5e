import type { Kysely } from 'kysely'
import type { DB } from '../schema.js'

/** Name of the unique constraint on `credentials.email`: a duplicate means the email is taken. */
export const CREDENTIALS_EMAIL_KEY = 'credentials_email_key'

export async function insertCredentials(
  db: Kysely<DB>,
  credentials: { user_id: string; email: string; password_hash: string },
): Promise<void> {
  await db.insertInto('credentials').values(credentials).execute()
}

/** The account of a (normalised) email, with its user, for signing in. */
export async function findAccountByEmail(db: Kysely<DB>, email: string) {
  return db
    .selectFrom('credentials')
    .innerJoin('users', 'users.id', 'credentials.user_id')
    .select(['users.id', 'users.email', 'users.name', 'users.created_at', 'credentials.password_hash'])
    .where('credentials.email', '=', email)
    .executeTakeFirst()
}
