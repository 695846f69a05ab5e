import type { Kysely } from 'kysely'
import { upsertUser } from '../db/queries/users.js'
import type { DB } from '../db/schema.js'
import type { Identity } from './identity.js'

const REMEMBERED = 50_000

/**
 * Provisions users on first sight. Identities already written (same id, email and name)
 * are remembered, so a known caller costs no database round trip.
 */
export function createUserProvisioner(db: Kysely<DB>) {
  const written = new Map<string, string>()
  return async function provision(identity: Identity): Promise<void> {
    const signature = `${identity.email ?? ''}\u0000${identity.name ?? ''}`
    if (written.get(identity.id) === signature) return
    await upsertUser(db, identity)
    if (written.size >= REMEMBERED) written.clear()
    written.set(identity.id, signature)
  }
}
export type UserProvisioner = ReturnType<typeof createUserProvisioner>
