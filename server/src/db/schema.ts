import type { ColumnType, Generated } from 'kysely'

/** Set by the database (default or trigger); never written by the API. */
type DatabaseSet<T> = ColumnType<T, never, never>

export interface UsersTable {
  id: string
  email: string | null
  name: string | null
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface TasksTable {
  id: Generated<string>
  user_id: string
  title: string
  description: string | null
  completed: Generated<boolean>
  /** Kept by the `tasks_set_completed_at` trigger from `completed`. */
  completed_at: DatabaseSet<Date | null>
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

/** Built-in issuer accounts. */
export interface CredentialsTable {
  user_id: string
  /** Normalised: trimmed, lower case. */
  email: string
  /** `scrypt$…`, see auth/password.ts. */
  password_hash: string
  created_at: Generated<Date>
  updated_at: Generated<Date>
}

export interface SigningKeysTable {
  kid: string
  /** Private Ed25519 JWK, JSON. */
  private_jwk: string
  created_at: Generated<Date>
}

/** The tables, as `migrations/` leaves them. */
export interface DB {
  users: UsersTable
  tasks: TasksTable
  credentials: CredentialsTable
  signing_keys: SigningKeysTable
}
