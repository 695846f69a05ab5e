import { type Kysely, sql } from 'kysely'

// Tasks written before the change feed existed enter it as upserts, oldest change first.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    insert into task_changes (user_id, task_id, seq, op, at)
    select user_id, id, nextval('task_change_seq'), 'upsert', updated_at
    from (select user_id, id, updated_at from tasks order by updated_at, id) as existing
    on conflict do nothing`.execute(db)
}

export async function down(): Promise<void> {
  // The rows stay: they describe the tasks as they are.
}
