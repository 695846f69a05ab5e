import type { ColumnType, Generated } from 'kysely'

/**
 * A `timestamptz(3)`: read as the contract's ISO 8601 string (see timestamps.ts), written as
 * a `Date` or an ISO string; defaults to `now()`.
 */
type Timestamp = ColumnType<string, Date | string | undefined, Date | string>
/** Set by the database (a trigger); never written by the API. */
type DatabaseSet<T> = ColumnType<T, never, never>

export interface UsersTable {
  id: string
  email: string | null
  name: string | null
  created_at: Timestamp
  updated_at: Timestamp
}

export interface TasksTable {
  id: Generated<string>
  user_id: string
  title: string
  description: string | null
  completed: Generated<boolean>
  /** Kept by the `tasks_set_completed_at` trigger from `completed`. */
  completed_at: DatabaseSet<string | null>
  created_at: Timestamp
  updated_at: Timestamp
}

/** Built-in issuer accounts. */
export interface CredentialsTable {
  user_id: string
  /** Normalised: trimmed, lower case. */
  email: string
  /** `scrypt$…`, see auth/password.ts. */
  password_hash: string
  created_at: Timestamp
  updated_at: Timestamp
}

export interface SigningKeysTable {
  kid: string
  /** Private Ed25519 JWK, JSON. */
  private_jwk: string
  created_at: Timestamp
}

/** The tables, as `migrations/` leaves them. */
export interface DB {
  users: UsersTable
  tasks: TasksTable
  credentials: CredentialsTable
  signing_keys: SigningKeysTable
}
