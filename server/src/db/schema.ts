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
  /** Moved by the `tasks_before_write` trigger on every change. */
  updated_at: Timestamp
  /** 1 on insert, +1 on every change: the `tasks_before_write` trigger. */
  version: Generated<number>
  /** A calendar date (read as `YYYY-MM-DD` through `to_char`). */
  due: ColumnType<string | null, string | null | undefined, string | null>
  priority: Generated<number>
  /** As written. */
  labels: Generated<string[]>
  /** `labelKey` of each label, for the `label` filter (GIN). */
  label_keys: Generated<string[]>
  /** A fractional-index key, compared in the "C" collation. */
  position: string | null
  /** Title and description as words (`tsvector`), kept by the `tasks_before_write` trigger. */
  search: DatabaseSet<string>
}

/** The change feed: each task's last change, kept by the `tasks_record_change` trigger. */
export interface TaskChangesTable {
  user_id: string
  task_id: string
  /** Place in the feed (`task_change_seq`); a bigint, read as a string. */
  seq: string
  op: 'upsert' | 'delete'
  at: Timestamp
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
  task_changes: TaskChangesTable
  credentials: CredentialsTable
  signing_keys: SigningKeysTable
}
