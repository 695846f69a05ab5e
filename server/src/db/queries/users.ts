import type { Kysely } from 'kysely'
import type { DB } from '../schema.js'

/**
 * Makes sure the user exists (first sight provisions it), keeping email and name current
 * when the token carries them. One statement: concurrent first requests cannot race.
 */
export async function upsertUser(
  db: Kysely<DB>,
  identity: { id: string; email?: string | undefined; name?: string | undefined },
): Promise<void> {
  const email = identity.email ?? null
  const name = identity.name ?? null
  await db
    .insertInto('users')
    .values({ id: identity.id, email, name })
    .onConflict((oc) =>
      oc
        .column('id')
        .doUpdateSet((eb) => ({
          email: eb.fn.coalesce(eb.ref('excluded.email'), eb.ref('users.email')),
          name: eb.fn.coalesce(eb.ref('excluded.name'), eb.ref('users.name')),
          updated_at: eb.fn('now'),
        }))
        .where((eb) =>
          eb.or([
            eb('users.email', 'is distinct from', eb.ref('excluded.email')).and('excluded.email', 'is not', null),
            eb('users.name', 'is distinct from', eb.ref('excluded.name')).and('excluded.name', 'is not', null),
          ]),
        ),
    )
    .execute()
}

export interface UserRecord {
  id: string
  email: string | null
  name: string | null
  /** ISO 8601. */
  created_at: string
}

export async function findUserById(db: Kysely<DB>, id: string): Promise<UserRecord | undefined> {
  return db.selectFrom('users').select(['id', 'email', 'name', 'created_at']).where('id', '=', id).executeTakeFirst()
}

export async function insertUser(
  db: Kysely<DB>,
  user: { id: string; email: string; name: string | null },
): Promise<UserRecord> {
  return db.insertInto('users').values(user).returning(['id', 'email', 'name', 'created_at']).executeTakeFirstOrThrow()
}
