import { type Kysely, sql } from 'kysely'

// `completed_at` is null exactly when the task is not completed, and is the time it became
// completed. The database keeps that true for every writer, not only for the API's queries.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create function tasks_set_completed_at() returns trigger language plpgsql as $$
    begin
      if not new.completed then
        new.completed_at := null;
      elsif tg_op = 'UPDATE' and not old.completed then
        new.completed_at := now();
      else
        new.completed_at := coalesce(new.completed_at, now());
      end if;
      return new;
    end
    $$`.execute(db)
  await sql`
    create trigger tasks_set_completed_at
    before insert or update of completed, completed_at on tasks
    for each row execute function tasks_set_completed_at()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger tasks_set_completed_at on tasks`.execute(db)
  await sql`drop function tasks_set_completed_at()`.execute(db)
}
