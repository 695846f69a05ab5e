import type { Kysely } from 'kysely'
import type { DB } from '../schema.js'

/** The key every process signs with: the first one stored. */
export async function findFirstSigningKey(db: Kysely<DB>): Promise<string | undefined> {
  const row = await db
    .selectFrom('signing_keys')
    .select('private_jwk')
    .orderBy('created_at')
    .orderBy('kid')
    .limit(1)
    .executeTakeFirst()
  return row?.private_jwk
}

export async function insertSigningKey(db: Kysely<DB>, kid: string, privateJwk: string): Promise<void> {
  await db
    .insertInto('signing_keys')
    .values({ kid, private_jwk: privateJwk })
    .onConflict((oc) => oc.doNothing())
    .execute()
}
