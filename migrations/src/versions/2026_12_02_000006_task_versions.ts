import { type Kysely, sql } from 'kysely'

// Every task gets a `version`: 1 on create, +1 on every change. The database keeps it, with
// `updated_at` and `completed_at`, for every writer: an update that changes nothing (setting
// `completed` to what it is, a PUT of the current values) keeps the row as it was, so neither
// the version nor `updated_at` moves. Replaces the trigger of 2026_11_23_000003, which kept
// `completed_at` alone.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('tasks')
    .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1).check(sql`version >= 1`))
    .execute()
  await sql`drop trigger tasks_set_completed_at on tasks`.execute(db)
  await sql`drop function tasks_set_completed_at()`.execute(db)
  await sql`
    create function tasks_before_write() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE' then
        if (new.title, new.description, new.completed) is not distinct from
           (old.title, old.description, old.completed) then
          return old;
        end if;
        new.version := old.version + 1;
        new.updated_at := now();
        new.completed_at := case
          when not new.completed then null
          when old.completed then old.completed_at
          else now()
        end;
      else
        new.completed_at := case when new.completed then coalesce(new.completed_at, now()) end;
      end if;
      return new;
    end
    $$`.execute(db)
  await sql`
    create trigger tasks_before_write before insert or update on tasks
    for each row execute function tasks_before_write()`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger tasks_before_write on tasks`.execute(db)
  await sql`drop function tasks_before_write()`.execute(db)
  await db.schema.alterTable('tasks').dropColumn('version').execute()
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
